"""The course: every notebook runs top to bottom in quick mode (nbclient, a real kernel), its figures
appear, its exercises' reference solutions pass their checks; the learner's copy (`glassnet lab` serving it:
tests/test_course_lab.py)."""

from __future__ import annotations

import os

import pytest

from glassnet.course import ExerciseError, check
from glassnet.course.lab import SOLUTION_TAG, learner_copy, notebook_sources, prepare

NOTEBOOKS = notebook_sources()


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


@pytest.mark.slow
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode_with_its_figures_and_checked_exercises(source, tmp_path, monkeypatch, data_dir):
    import jupytext
    from nbclient import NotebookClient

    monkeypatch.setenv("GLASSNET_COURSE_QUICK", "1")
    monkeypatch.setenv("GLASSNET_DATA", str(data_dir))
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "2"))
    notebook = jupytext.read(source)
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises on any cell's error
    for index, cell in enumerate(notebook.cells):
        if "figure" in _tags(cell):
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert images, f"{source.name}, cell {index}: the figure it promises is missing"
        if "check" in _tags(cell):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            assert "Correct:" in text, f"{source.name}, cell {index}: the reference solution did not pass its check"


def test_every_notebook_states_goals_and_ends_with_checked_exercises():
    import jupytext
    for source in NOTEBOOKS:
        cells = jupytext.read(source).cells
        assert "You will learn" in cells[0].source, f"{source.name}: state the learning goals first"
        exercises = [c for c in cells if "exercise" in _tags(c)]
        checks = [c for c in cells if "check" in _tags(c)]
        solutions = [c for c in cells if SOLUTION_TAG in _tags(c)]
        assert exercises and len(exercises) == len(checks) == len(solutions), source.name
        assert all("..." in c.source for c in exercises), f"{source.name}: an exercise cell must leave a ... to fill"


def test_the_learners_copy_has_no_solutions_and_an_unanswered_check_says_so():
    notebook = learner_copy(NOTEBOOKS[0])
    assert not [c for c in notebook.cells if SOLUTION_TAG in _tags(c)]
    assert [c for c in notebook.cells if "exercise" in _tags(c)]
    with pytest.raises(ExerciseError, match=r"has no answer \(replace the \.\.\. with your code\)"):
        check("answer 1", ..., 3)
    with pytest.raises(ExerciseError, match="is 2, expected 3. Hint: add one"):
        check("answer 1", 2, 3, hint="add one")


def test_prepare_keeps_a_learners_work_unless_reset(tmp_path):
    first = prepare(tmp_path)
    first[0].write_text("my work")
    prepare(tmp_path)
    assert first[0].read_text() == "my work"
    prepare(tmp_path, reset=True)
    assert first[0].read_text() != "my work"
