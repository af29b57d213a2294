"""A real headless browser for tests: the system's Chromium driven by Selenium, offline.

Use it from a test module by importing the fixture::

    from browser_support import browser  # noqa: F401  (a pytest fixture)

    def test_page(browser, tmp_path):
        browser.open(tmp_path / "report.html")          # a file path or an http:// URL
        assert browser.driver.title == "Report"
        browser.screenshot("report")                    # -> <tmp_path>/report.png
        assert browser.console_errors() == []

Chromium comes from Debian (``apt-get install chromium chromium-driver``; ``make test`` installs it where it
may). Nothing is downloaded: Selenium is handed the system ``chromedriver`` and ``chromium`` binaries, and
``SE_OFFLINE`` stops Selenium Manager from looking anything up. Without Chromium the tests skip with the reason,
but under ``CI=true`` they FAIL, so a CI machine that lost its browser is noticed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_PATHS = ("chromedriver", "/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver")


def _find(candidates: tuple[str, ...], env: str) -> str | None:
    """The first existing executable among $env and the candidates (names on PATH or absolute paths)."""
    for name in (os.environ.get(env, ""), *candidates):
        if name and (found := shutil.which(name)):
            return found
    return None


def chromium_paths() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when either is missing.

    ``GLASSNET_CHROMIUM`` / ``GLASSNET_CHROMEDRIVER`` override the search.
    """
    browser = _find(CHROMIUM_NAMES, "GLASSNET_CHROMIUM")
    driver = _find(DRIVER_PATHS, "GLASSNET_CHROMEDRIVER")
    return (browser, driver) if browser and driver else None


def require_chromium() -> tuple[str, str]:
    """(chromium, chromedriver); skip locally, FAIL under CI=true, when they are not installed."""
    paths = chromium_paths()
    if paths is None:
        message = ("Chromium or chromedriver not found (install Debian's 'chromium' and 'chromium-driver', "
                   "or set GLASSNET_CHROMIUM and GLASSNET_CHROMEDRIVER)")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return paths


class Browser:
    """A headless Chromium window of 1024×900 pixels; ``driver`` is the Selenium WebDriver."""

    def __init__(self, output_dir: Path, width: int = 1024, height: int = 900):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        browser_path, driver_path = require_chromium()
        os.environ.setdefault("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = browser_path
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-extensions", "--no-first-run", f"--window-size={width},{height}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        self.driver.set_page_load_timeout(30)
        self.output_dir = Path(output_dir)
        self._log: list[dict] = []

    def open(self, target: str | Path) -> None:
        """Load an http(s) URL or a local file."""
        url = target if isinstance(target, str) and "://" in target else Path(target).resolve().as_uri()
        self.driver.get(url)

    def console(self) -> list[dict]:
        """Every console message so far (each a dict with 'level' and 'message')."""
        self._log.extend(self.driver.get_log("browser"))
        return list(self._log)

    def console_errors(self) -> list[str]:
        """The messages logged at level SEVERE (console.error, uncaught exceptions, failed loads)."""
        return [entry["message"] for entry in self.console() if entry["level"] == "SEVERE"]

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the window as <output_dir>/<name>.png and return its path."""
        path = self.output_dir / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def wait_for(self, script: str, timeout: float = 20.0):
        """Wait until the JavaScript expression ``script`` is truthy; return its value."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            lambda d: d.execute_script(f"return ({script});"))

    def close(self) -> None:
        self.driver.quit()


@pytest.fixture
def browser(tmp_path):
    """A fresh headless Chromium (see :class:`Browser`); screenshots go to the test's tmp_path."""
    window = Browser(tmp_path)
    try:
        yield window
    finally:
        window.close()
