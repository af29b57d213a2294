"""Looking at what a generator makes: an image grid PNG, and a callback writing one per epoch.

The callback draws from the same fixed codes (and labels) every epoch, so the grids show one
set of samples improving.

>>> import numpy as np, tempfile, os
>>> path = save_image_grid(np.random.rand(6, 28, 28, 1), os.path.join(tempfile.mkdtemp(), 'grid.png'), columns=3)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from glassnet.callbacks.base import Callback
from glassnet.errors import InvalidArgumentError


def image_grid(images: Any, columns: int = 8, padding: int = 2) -> np.ndarray:
    """Images (N, H, W[, C]) with values in [0, 1] tiled into one (rows·H, columns·W, C) array.

    >>> image_grid(np.ones((5, 4, 4, 1)), columns=2, padding=1).shape
    (16, 11, 1)
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise InvalidArgumentError(f"image_grid takes images (N, H, W) or (N, H, W, 1 or 3) with values in "
                                   f"[0, 1]; got an array of shape {images.shape}. Reshape flat samples first, "
                                   "e.g. x.reshape(-1, 28, 28, 1).")
    n, h, w, c = images.shape
    rows = -(-n // columns)
    grid = np.ones((rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.float32)
    for i, image in enumerate(images):
        r, k = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + k * (w + padding)
        grid[top:top + h, left:left + w] = np.clip(image, 0.0, 1.0)
    return grid


def save_image_grid(images: Any, path: str | os.PathLike, columns: int = 8, title: str | None = None,
                    row_labels: Sequence[str] | None = None) -> str:
    """Write images (values in [0, 1]) as one PNG grid; returns the path.

    >>> import tempfile
    >>> save_image_grid(np.zeros((2, 8, 8, 3)), tempfile.mkdtemp() + '/g.png', columns=2).endswith('g.png')
    True
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    grid = image_grid(images, columns)
    rows = grid.shape[0] / grid.shape[1] * columns
    fig, ax = plt.subplots(figsize=(max(2.0, columns * 0.6), max(2.0, rows * 0.6 + (0.4 if title else 0))))
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    if row_labels:
        height = (grid.shape[0] - 2) / len(row_labels)
        ax.set_yticks([2 + height * (i + 0.5) for i in range(len(row_labels))], list(row_labels))
    else:
        ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


class GANSampleGrid(Callback):
    """After each epoch, write ``directory/<prefix>_epoch_<NNN>.png``: ``n`` images the generator
    makes from fixed codes (``seed``); for a :class:`~glassnet.generative.ConditionalGAN`, row ``r``
    shows class ``r`` (so ``n = num_classes · columns``). ``paths`` lists the files written.

    >>> import tempfile
    >>> GANSampleGrid(tempfile.mkdtemp(), n=16).columns
    8
    """

    def __init__(self, directory: str | os.PathLike, n: int = 32, columns: int = 8, seed: int = 0,
                 prefix: str = "gan"):
        super().__init__()
        self.directory, self.n, self.columns, self.seed, self.prefix = Path(directory), n, columns, seed, prefix
        self.paths: list[str] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes:
            labels = np.repeat(np.arange(num_classes), self.columns)
            images = self.model.generate(labels=labels, seed=self.seed)
            row_labels = [str(c) for c in range(num_classes)]
        else:
            images, row_labels = self.model.generate(self.n, seed=self.seed), None
        path = self.directory / f"{self.prefix}_epoch_{epoch + 1:03d}.png"
        self.paths.append(save_image_grid(images, path, self.columns, f"epoch {epoch + 1}", row_labels))


__all__ = ["image_grid", "save_image_grid", "GANSampleGrid"]
