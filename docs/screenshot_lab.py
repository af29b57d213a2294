"""The README's `glassnet lab` screenshot: start `glassnet lab` headless on loopback, open a course notebook
in the system's Chromium (Selenium, nothing downloaded; see tests/browser_support.py), wait until it has
rendered, save a PNG. Run from the repository root:

    python docs/screenshot_lab.py                       # -> docs/images/jupyterlab.png
    python docs/screenshot_lab.py --notebook 02_how_a_network_trains --output /tmp/lab.png

The server runs in a temporary folder with its own Jupyter configuration: no token (it listens on
127.0.0.1 only, and stops when the script ends), no announcement pop-up. tests/test_course_lab.py uses the
same functions to check that `glassnet lab` serves and renders the course.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
GLASSNET = Path(sys.executable).parent / "glassnet"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_config(config_dir: Path) -> Path:
    """A Jupyter configuration for automated use on loopback: no token or password, no news pop-up."""
    (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
    server = {"IdentityProvider": {"token": ""}, "ServerApp": {"password": "", "open_browser": False}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(server))
    page = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(page))
    return config_dir


def wait_for_url(url: str, timeout: float = 120.0, server: subprocess.Popen | None = None) -> str:
    """The body of ``url`` once it answers (polling each second); raise TimeoutError after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"glassnet lab exited with code {server.returncode}:\n{server.stdout.read()}")
        try:
            return urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def running_lab(workdir: Path, folder: str = "course", port: int | None = None) -> Iterator[str]:
    """Run `glassnet lab --no-browser` in ``workdir`` (the course copied to ``workdir/folder``) with a
    token-less configuration; yield its base URL (``http://127.0.0.1:PORT``); stop it afterwards."""
    workdir = Path(workdir)
    port = port or free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(write_config(workdir / "jupyter-config")),
           "JUPYTER_RUNTIME_DIR": str(workdir / "jupyter-runtime"), "JUPYTER_DATA_DIR": str(workdir / "jupyter-data")}
    server = subprocess.Popen([str(GLASSNET), "lab", "--no-browser", "--port", str(port), "--folder", folder],
                              cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_url(f"{url}/api/status", server=server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def render_notebook(window, url: str, notebook: str, timeout: float = 90.0) -> int:
    """Open ``notebook`` (a name in the course copy, without .ipynb) in JupyterLab in ``window`` (a
    tests/browser_support.Browser); wait until its title and cells have rendered and its kernel is idle.
    Returns the number of cells shown."""
    window.open(f"{url}/lab/tree/{notebook}.ipynb")
    window.wait_for("document.querySelector('.jp-NotebookPanel .jp-RenderedMarkdown h1') !== null", timeout)
    window.wait_for("Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator, "
                    ".jp-NotebookPanel .jp-Toolbar-kernelStatus')).some(e => /idle/i.test(e.outerHTML))"
                    " || document.querySelector('.jp-NotebookPanel [data-status=\"idle\"]') !== null", timeout)
    time.sleep(1.5)  # fonts and the last layout pass
    return window.driver.execute_script("return document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length")


def run_first_cells(window, count: int, show_from: int = 0, timeout: float = 120.0) -> None:
    """Run the notebook's first ``count`` cells as a learner does (Shift+Enter on each), wait until a figure
    appears in an output, and scroll cell ``show_from`` to the top of the view."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    window.driver.find_element(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell .jp-InputPrompt").click()
    for _ in range(count):
        window.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.ENTER)
        time.sleep(0.3)
    window.wait_for("document.querySelector('.jp-NotebookPanel .jp-OutputArea-output img') !== null", timeout)
    window.wait_for("!document.querySelector('.jp-NotebookPanel .jp-InputPrompt').textContent.includes('*')"
                    " && Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt'))"
                    ".every(e => !e.textContent.includes('*'))", timeout)
    window.driver.execute_script(f"document.querySelectorAll('.jp-NotebookPanel .jp-Cell')[{show_from}]"
                                 ".scrollIntoView({block: 'start'});")
    time.sleep(1.5)


def screenshot(output: Path, notebook: str = "01_hello_deep_learning", run: int = 5, show_from: int = 2,
               width: int = 1280, height: int = 960) -> Path:
    """Start `glassnet lab`, render ``notebook`` in headless Chromium, run its first ``run`` cells (the
    first must draw a figure; 0 runs none), save the window as ``output`` (PNG)."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import Browser

    with tempfile.TemporaryDirectory() as workdir, running_lab(Path(workdir)) as url:
        window = Browser(Path(workdir), width=width, height=height)
        try:
            cells = render_notebook(window, url, notebook)
            if run:
                run_first_cells(window, run, show_from)
            shot = window.screenshot("jupyterlab")
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_bytes(shot.read_bytes())
        finally:
            window.close()
    print(f"{output}: {notebook} in JupyterLab, {cells} cells rendered")
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebook", default="01_hello_deep_learning")
    parser.add_argument("--run", type=int, default=5, help="run this many cells first (the first figure of 01)")
    parser.add_argument("--show-from", type=int, default=2, help="the cell scrolled to the top of the view")
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "images" / "jupyterlab.png")
    args = parser.parse_args()
    screenshot(args.output, args.notebook, args.run, args.show_from)


if __name__ == "__main__":
    main()
