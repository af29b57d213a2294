"""Pictures of what an autoencoder learned: reconstructions, 2-D codes coloured by class, image grids.

>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'grid.png')
>>> plot_image_grid(np.random.rand(6, 8, 8), path, columns=3)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from glassnet.plots import plt, save_figure


def _image(x: np.ndarray, shape: tuple[int, ...] | None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if shape is not None:
        x = x.reshape(shape)
    return x[..., 0] if x.ndim == 3 and x.shape[-1] == 1 else x


def plot_reconstructions(rows: Mapping[str, Any], path: str | Path, image_shape: tuple[int, ...] | None = None,
                         n: int = 10, title: str | None = None) -> None:
    """One row of images per entry of ``rows`` (e.g. ``{'input': x, 'autoencoder': ae(x), 'PCA': ...}``),
    ``n`` columns, grey levels in [0, 1]; flat vectors are reshaped to ``image_shape``.

    >>> import numpy as np, os, tempfile
    >>> x = np.random.rand(4, 784)
    >>> path = os.path.join(tempfile.mkdtemp(), 'rec.png')
    >>> plot_reconstructions({'input': x, 'copy': x}, path, image_shape=(28, 28), n=4)
    >>> os.path.getsize(path) > 0
    True
    """
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.25 * len(rows) + 0.4), squeeze=False)
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n):
            axes[r][c].imshow(np.clip(_image(images[c], image_shape), 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[r][c].set_xticks([])
            axes[r][c].set_yticks([])
        axes[r][0].set_ylabel(label, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


def plot_latent_space(codes: Mapping[str, Any], labels: Any, path: str | Path, title: str | None = None) -> None:
    """Scatter 2-D codes, one panel per entry of ``codes`` (e.g. the autoencoder's beside PCA's),
    coloured by class.

    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'latent.png')
    >>> plot_latent_space({'PCA': np.random.rand(20, 2)}, np.arange(20) % 3, path)
    >>> os.path.getsize(path) > 0
    True
    """
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(codes), figsize=(4.6 * len(codes), 4.2), squeeze=False)
    for ax, (name, points) in zip(axes[0], codes.items()):
        points = np.asarray(points)
        scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=4, alpha=0.7)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(scatter, ax=list(axes[0]), ticks=np.unique(labels), shrink=0.85, label="class")
    if title:
        fig.suptitle(title, fontsize=10)
    save_figure(fig, path)


def plot_image_grid(images: Sequence[Any], path: str | Path, columns: int = 10,
                    image_shape: tuple[int, ...] | None = None, title: str | None = None) -> None:
    """Images (grey levels in [0, 1]) in a grid of ``columns`` columns, e.g. samples from a VAE."""
    images = list(images)
    rows = -(-len(images) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(0.9 * columns, 0.9 * rows + (0.3 if title else 0)),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image in zip(axes.ravel(), images):
        ax.imshow(np.clip(_image(image, image_shape), 0, 1), cmap="gray", vmin=0, vmax=1)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)


__all__ = ["plot_reconstructions", "plot_latent_space", "plot_image_grid"]
