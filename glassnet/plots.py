"""Pictures of training: learning curves as PNG files.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), 'curves.png')
>>> plot_history({'loss': [1.0, 0.5], 'val_loss': [1.1, 0.7]}, path)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import matplotlib


def use_file_backend() -> None:
    """Draw into files (matplotlib's Agg backend: headless, thread-safe for saving), except inside a
    Jupyter kernel, whose inline backend shows the figures in the notebook.

    >>> use_file_backend(); matplotlib.get_backend().lower() in ('agg',) or 'ipykernel' in sys.modules
    True
    """
    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg")


use_file_backend()
import matplotlib.pyplot as plt  # noqa: E402

from glassnet.io import atomic_path  # noqa: E402


def save_figure(fig: Any, path: str | Path, dpi: int = 100, close: bool = True) -> str:
    """Write ``fig`` as a PNG at ``path`` (atomically: a crash leaves no half file) and, with ``close``,
    release it from pyplot (the figure object stays usable); returns the path. Every glassnet picture
    is saved through here.

    >>> import tempfile, os
    >>> fig = plt.figure(); _ = fig.add_subplot().plot([0, 1])
    >>> os.path.getsize(save_figure(fig, os.path.join(tempfile.mkdtemp(), 'line.png'))) > 0
    True
    """
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    if close:
        plt.close(fig)
    return str(path)


def figure_png(fig: Any, dpi: int = 100, close: bool = True) -> bytes:
    """``fig`` as PNG bytes (notebooks' ``_repr_png_``, HTML reports, HTTP answers).

    >>> figure_png(plt.figure())[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    if close:
        plt.close(fig)
    return buffer.getvalue()


def plot_history(history: Any, path: str | Path, title: str = "Learning curves") -> None:
    """Plot each metric's training curve beside its validation curve (one panel per metric).

    ``history`` is a ``History`` or its ``.history`` dict.
    """
    logs = getattr(history, "history", history)
    metrics = [k for k in logs if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, name in zip(axes[0], metrics):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], "o-", label=f"train {name}")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], "s--", label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path)
