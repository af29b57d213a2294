"""Saving explain's matplotlib figures: to a PNG file (atomically) or to PNG bytes (notebooks, reports).

>>> fig = new_figure(1, 1)[0]
>>> figure_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg", force=False)  # files, not windows
import matplotlib.pyplot as plt  # noqa: E402

from glassnet.io import atomic_path  # noqa: E402


def new_figure(rows: int, cols: int, size: tuple[float, float] | None = None):
    """(figure, axes as a 2-D array) with ``rows`` × ``cols`` panels."""
    fig, axes = plt.subplots(rows, cols, figsize=size or (3 * cols, 3 * rows), squeeze=False)
    return fig, axes


def save_figure(fig, path: str | os.PathLike, dpi: int = 100) -> str:
    """Write ``fig`` as a PNG at ``path`` (atomically), close it and return the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    return str(path)


def figure_png(fig, dpi: int = 100) -> bytes:
    """``fig`` as PNG bytes (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    return buffer.getvalue()


__all__ = ["new_figure", "save_figure", "figure_png"]
