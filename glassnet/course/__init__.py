"""glassnet.course: what the course notebooks (``course/`` in the repository; ``glassnet lab``) share.

* :func:`quick_mode` — whether the notebooks run in their quick mode (``GLASSNET_COURSE_QUICK=1``: CI and a
  first look; smaller data, fewer epochs), and :func:`pick`, the full-or-quick choice in one call;
* :func:`check` — an exercise's answer checked with a message that says what is wrong and gives a hint;
  it prints a green "Correct" so learners know when they got it right;
* :func:`show` — a figure shown in the notebook as a PNG, whatever matplotlib's backend.

>>> pick(full=20, quick=2) in (20, 2)
True
>>> check("2 + 2", 4, 4)
Correct: 2 + 2.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

QUICK_SWITCH = "GLASSNET_COURSE_QUICK"


class ExerciseError(AssertionError):
    """An exercise's answer is not right yet: the message says what is expected and gives a hint."""


def quick_mode() -> bool:
    """Whether the course runs in quick mode (``GLASSNET_COURSE_QUICK=1``).

    >>> quick_mode() == (os.environ.get('GLASSNET_COURSE_QUICK') == '1')
    True
    """
    return os.environ.get(QUICK_SWITCH) == "1"


def pick(full: Any, quick: Any) -> Any:  # noqa: A002 - the name says what it is in the notebooks
    """``full`` normally, ``quick`` in quick mode: ``epochs = pick(full=10, quick=1)``.

    >>> pick(full=[1, 2, 3], quick=[1])[:1]
    [1]
    """
    return quick if quick_mode() else full


def _close(answer: Any, expected: Any, rtol: float, atol: float) -> bool:
    if isinstance(expected, str) or isinstance(answer, str):
        return str(answer).strip().lower() == str(expected).strip().lower()
    try:
        a = np.asarray(answer.detach().cpu() if hasattr(answer, "detach") else answer, dtype=float)
        e = np.asarray(expected.detach().cpu() if hasattr(expected, "detach") else expected, dtype=float)
    except (TypeError, ValueError):
        return answer == expected
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=False))


def check(name: str, answer: Any, expected: Any, hint: str = "", rtol: float = 1e-4, atol: float = 1e-6) -> None:
    """Check an exercise: ``answer`` must equal ``expected`` (numbers and arrays within ``rtol``/``atol``,
    strings ignoring case). Prints "Correct: NAME." or raises :class:`ExerciseError` with the hint.

    >>> check("parameters of Dense(10) on 784 inputs", 7850, 784 * 10 + 10)
    Correct: parameters of Dense(10) on 784 inputs.
    >>> check("the answer", 3, 4, hint="count the biases too")
    Traceback (most recent call last):
    ...
    glassnet.course.ExerciseError: Not yet: the answer is 3, expected 4. Hint: count the biases too
    """
    if answer is None or answer is Ellipsis:
        raise ExerciseError(f"Not yet: {name} has no answer (replace the ... with your code).")
    if not _close(answer, expected, rtol, atol):
        shown = answer if np.size(answer) <= 6 else f"an array of shape {np.shape(answer)}"
        wanted = expected if np.size(expected) <= 6 else f"an array of shape {np.shape(expected)}"
        message = f"Not yet: {name} is {shown}, expected {wanted}."
        raise ExerciseError(message + (f" Hint: {hint}" if hint else ""))
    print(f"Correct: {name}.")


def check_true(name: str, condition: bool, hint: str = "") -> None:
    """Check a condition about an answer (e.g. an accuracy above a bar).

    >>> check_true("accuracy above 90%", 0.95 > 0.9)
    Correct: accuracy above 90%.
    """
    if not condition:
        raise ExerciseError(f"Not yet: {name}." + (f" Hint: {hint}" if hint else ""))
    print(f"Correct: {name}.")


def show(figure: Any = None) -> None:
    """Show ``figure`` (default: pyplot's current figure) in the notebook as a PNG and close it: the same
    picture whatever matplotlib's backend is (inline, or Agg after a library switched to it).

    >>> import matplotlib.pyplot as plt
    >>> _ = plt.plot([1, 2, 3])
    >>> show()
    <IPython.core.display.Image object>
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    figure = plt.gcf() if figure is None else figure
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")  # as the inline backend: labels never cut
    plt.close(figure)
    display(Image(data=buffer.getvalue()))


def course_folder() -> Path:
    """The course's notebooks (``course/`` beside the package in a source checkout).

    >>> course_folder().name
    'course'
    """
    return Path(__file__).resolve().parents[2] / "course"


__all__ = ["quick_mode", "pick", "check", "check_true", "show", "ExerciseError", "course_folder", "QUICK_SWITCH"]
