"""Pictures of segmentation and localisation results: masks in colour, boxes drawn on images.

>>> import numpy as np, tempfile
>>> masks = np.zeros((2, 8, 8), int); masks[:, 2:5, 2:5] = 3
>>> path = show_masks(np.zeros((2, 8, 8, 1)), masks, masks, tempfile.mkdtemp() + '/m.png')
>>> path.endswith('m.png')
True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def colour_masks(masks: Any, num_classes: int = 11) -> np.ndarray:
    """Class-id masks (N, H, W) -> RGB (N, H, W, 3): background (0) black, each class its own colour.

    >>> colour_masks(np.array([[[0, 1]]])).shape
    (1, 1, 2, 3)
    """
    plt = _pyplot()
    palette = np.array(plt.get_cmap("tab10" if num_classes <= 11 else "tab20").colors)[:, :3]
    colours = np.concatenate([np.zeros((1, 3)), palette[np.arange(max(num_classes - 1, 1)) % len(palette)]])
    return colours[np.asarray(masks).astype(int)]


def show_masks(images: Any, true_masks: Any, predicted_masks: Any, path: str | os.PathLike, n: int = 6,
               num_classes: int = 11, title: str | None = None) -> str:
    """One column per sample: the image, the true mask and the predicted mask (rows). Returns the path."""
    plt = _pyplot()
    n = min(n, len(images))
    rows = (("image", np.asarray(images)[:n, ..., 0]), ("true", colour_masks(np.asarray(true_masks)[:n], num_classes)),
            ("predicted", colour_masks(np.asarray(predicted_masks)[:n], num_classes)))
    fig, axes = plt.subplots(3, n, figsize=(1.6 * n, 5.0), squeeze=False)
    for r, (label, pictures) in enumerate(rows):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(pictures[c], cmap="gray" if r == 0 else None, vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
        axes[r][0].set_ylabel(label)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def draw_boxes(images: Any, true_boxes: Any, path: str | os.PathLike, predicted_boxes: Any = None,
               true_classes: Sequence[int] | None = None, predicted_classes: Sequence[int] | None = None,
               n: int = 8, columns: int = 8) -> str:
    """Images with their true boxes (green) and predicted boxes and classes (red), as relative ``xyxy``.

    >>> import tempfile
    >>> draw_boxes(np.zeros((1, 8, 8, 1)), [[0.1, 0.1, 0.5, 0.5]], tempfile.mkdtemp() + '/b.png').endswith('b.png')
    True
    """
    plt = _pyplot()
    from matplotlib.patches import Rectangle
    images = np.asarray(images)
    n = min(n, len(images))
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, min(n, columns), figsize=(1.7 * min(n, columns), 1.9 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i >= n:
            continue
        size = images.shape[1]
        ax.imshow(images[i, ..., 0], cmap="gray", vmin=0, vmax=1)
        for boxes, colour in ((true_boxes, "lime"), (predicted_boxes, "red")):
            if boxes is not None:
                x0, y0, x1, y1 = np.asarray(boxes[i], dtype=float) * size
                ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, color=colour, lw=1.5))
        parts = []
        if true_classes is not None:
            parts.append(f"true {int(true_classes[i])}")
        if predicted_classes is not None:
            parts.append(f"pred {int(predicted_classes[i])}")
        ax.set_title(" · ".join(parts), fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


__all__ = ["colour_masks", "show_masks", "draw_boxes"]
