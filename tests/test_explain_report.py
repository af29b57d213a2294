"""The run report: `glassnet train` writes it, `glassnet report RUN_DIR` rewrites it; one self-contained HTML
page (every picture inlined, nothing fetched), checked as text and in a real headless Chromium."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from glassnet.cli import app
from glassnet.errors import DataFileError

try:
    from tests.browser_support import browser  # noqa: F401  (a pytest fixture)
except ImportError:  # pytest run from inside tests/
    from browser_support import browser  # noqa: F401

pytestmark = pytest.mark.slow  # a real `glassnet train` run (about 20 s on 2 idle cores)


def _glassnet(*args):
    """Run a glassnet command in this process (the real typer app; imports are paid once)."""
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "300"})


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory) -> Path:
    """A real `glassnet train` run: the convnet on the bundled digits, 2 epochs."""
    folder = tmp_path_factory.mktemp("runs")
    result = _glassnet("train", "--model", "cnn", "--epochs", "2", "--verbose", "0", "--output", folder)
    assert result.exit_code == 0, result.output
    run_dir = next(p for p in folder.iterdir() if p.is_dir())
    assert f"Report: {run_dir / 'report.html'}" in result.output
    return run_dir


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def test_train_writes_a_self_contained_report(cnn_run):
    page = (cnn_run / "report.html").read_text()
    for section in ("Results", "Model", "Learning curves", "Bias and variance", "Confusion matrix", "Top losses",
                    "Sample predictions", "Per-class precision"):
        assert f">{section}" in page, section
    assert "Total params" in page and "FLOPs" in page  # the model summary
    assert "test_accuracy" in page and "Verdict:" in page
    assert not re.search(r'(src|href)\s*=\s*["\'](?!data:)', page)  # nothing loaded from elsewhere
    assert "http://" not in page and "https://" not in page
    pictures = _images(page)
    assert len(pictures) == len(re.findall(r"<img ", page)) >= 4
    for png in pictures:
        with Image.open(io.BytesIO(png)) as img:
            assert img.format == "PNG" and img.size[0] > 100


def test_report_command_includes_the_diagnosis(cnn_run, tmp_path):
    (cnn_run / "diagnosis.md").write_text("# Diagnosis\n\n| finding | layer |\n|---|---|\n| dead ReLU | c1 |\n\n"
                                          "![gradient flow](gradient_flow.png)\n")
    Image.new("RGB", (120, 80), "white").save(cnn_run / "gradient_flow.png")
    try:
        result = _glassnet("report", cnn_run, "--samples", "100")
        assert result.exit_code == 0, result.output
        assert f"Report: {cnn_run / 'report.html'}" in result.output
        page = (cnn_run / "report.html").read_text()
        assert "<td>dead ReLU</td>" in page and 'alt="gradient flow" src="data:image/png;base64,' in page
        assert "100 test samples" in page
    finally:
        (cnn_run / "diagnosis.md").unlink()
        (cnn_run / "gradient_flow.png").unlink()


def test_report_command_on_a_wrong_folder_says_what_to_give(tmp_path):
    result = _glassnet("report", tmp_path / "nope")
    assert isinstance(result.exception, DataFileError) and "is not a folder" in str(result.exception)
    result = _glassnet("report", tmp_path)
    assert isinstance(result.exception, DataFileError)
    assert "neither metrics.json nor model.glassnet" in str(result.exception)


def test_report_renders_in_a_headless_browser(cnn_run, browser):
    browser.open(cnn_run / "report.html")
    assert browser.driver.title == "cnn on digits"
    widths = browser.driver.execute_script(
        "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0);")
    assert len(widths) >= 4 and all(w > 0 for w in widths), widths
    assert browser.console_errors() == []
    browser.screenshot("report")
