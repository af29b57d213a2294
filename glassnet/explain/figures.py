"""explain's panels; saving goes through :mod:`glassnet.plots` (PNG files, atomically, or PNG bytes).

>>> fig = new_figure(1, 1)[0]
>>> figure_png(fig)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

from glassnet.plots import figure_png, plt, save_figure  # files outside notebooks, inline inside


def new_figure(rows: int, cols: int, size: tuple[float, float] | None = None):
    """(figure, axes as a 2-D array) with ``rows`` × ``cols`` panels."""
    fig, axes = plt.subplots(rows, cols, figsize=size or (3 * cols, 3 * rows), squeeze=False)
    return fig, axes


__all__ = ["new_figure", "save_figure", "figure_png"]
