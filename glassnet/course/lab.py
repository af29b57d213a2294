"""The learners' copy of the course and ``glassnet lab``, which opens it in JupyterLab.

The course's notebooks live in ``course/`` as jupytext ``.py`` files (percent format: readable diffs).
A learner gets ``.ipynb`` copies in a folder of their own — the originals stay clean — in which the
cells tagged ``solution`` are left out: each exercise cell (``answer = ...``) is followed by its check
cell, which says "Correct" once the answer is right. A copy a learner already has is never overwritten
(``reset=True`` starts over).

>>> import tempfile
>>> written = prepare(tempfile.mkdtemp())
>>> sorted(p.suffix for p in written)[:1]
['.ipynb']
"""

from __future__ import annotations

from pathlib import Path

from glassnet.course import course_folder

SOLUTION_TAG = "solution"


def notebook_sources(folder: Path | None = None) -> list[Path]:
    """The course's notebooks in order (``01_...py``, ``02_...py``, ...).

    >>> notebook_sources()[0].name
    '01_hello_deep_learning.py'
    """
    folder = folder or course_folder()
    return sorted(folder.glob("[0-9][0-9]_*.py"))


def learner_copy(source: Path):
    """The notebook of ``source`` as a learner gets it: solution cells removed, no outputs.

    >>> nb = learner_copy(notebook_sources()[0])
    >>> any('solution' in c.metadata.get('tags', []) for c in nb.cells)
    False
    """
    import jupytext

    notebook = jupytext.read(source)
    notebook.cells = [cell for cell in notebook.cells if SOLUTION_TAG not in cell.metadata.get("tags", [])]
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with a .py file
    return notebook


def prepare(folder: str | Path, reset: bool = False) -> list[Path]:
    """Write the learner's copies of every notebook into ``folder`` (created); keep existing ones
    unless ``reset``. Returns the notebooks' paths.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> prepare(folder) == prepare(folder)
    True
    """
    import nbformat

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for source in notebook_sources():
        target = folder / f"{source.stem}.ipynb"
        if reset or not target.exists():
            nbformat.write(learner_copy(source), str(target))
        written.append(target)
    return written


__all__ = ["prepare", "learner_copy", "notebook_sources", "SOLUTION_TAG"]
