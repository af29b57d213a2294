"""`glassnet lab` serves the learner's copy of the course in JupyterLab, and a real browser renders it
(the README's screenshot comes from the same functions: docs/screenshot_lab.py)."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest
from browser_support import browser  # noqa: F401  (the fixture)

from glassnet.course.lab import SOLUTION_TAG, learner_copy, notebook_sources

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "docs"))
import screenshot_lab  # noqa: E402  (docs/screenshot_lab.py)

FIRST = notebook_sources()[0]


def test_glassnet_lab_serves_the_learners_copy_of_the_course(tmp_path):
    with screenshot_lab.running_lab(tmp_path, folder="course") as url:
        page = screenshot_lab.wait_for_url(f"{url}/lab")
        listing = json.loads(urllib.request.urlopen(f"{url}/api/contents/").read())
        served = json.loads(urllib.request.urlopen(f"{url}/api/contents/{FIRST.stem}.ipynb?content=1").read())
    assert "JupyterLab" in page
    assert sorted(item["name"] for item in listing["content"]) == [f"{p.stem}.ipynb" for p in notebook_sources()]
    cells = served["content"]["cells"]
    assert len(cells) == len(learner_copy(FIRST).cells)
    assert not [c for c in cells if SOLUTION_TAG in c["metadata"].get("tags", [])], "the learner's copy has solutions"
    assert (tmp_path / "course" / f"{FIRST.stem}.ipynb").exists()
    with pytest.raises(OSError):  # stopping `glassnet lab` stopped JupyterLab (no orphaned server left behind)
        urllib.request.urlopen(f"{url}/api/status", timeout=5)


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_a_course_notebook_renders_in_jupyterlab_in_chromium(browser, tmp_path):  # noqa: F811
    with screenshot_lab.running_lab(tmp_path / "work") as url:
        shown = screenshot_lab.render_notebook(browser, url, FIRST.stem)
        title = browser.driver.execute_script(
            "return document.querySelector('.jp-NotebookPanel .jp-RenderedMarkdown h1').textContent")
        shot = browser.screenshot("jupyterlab")
    assert shown == len(learner_copy(FIRST).cells)
    assert title.startswith("1. Hello, deep learning")
    assert shot.stat().st_size > 20_000
