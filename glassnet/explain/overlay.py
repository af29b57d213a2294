"""Maps laid over their images: a PNG grid with the predicted and the true labels.

>>> import tempfile, os
>>> images = np.zeros((2, 8, 8, 3), np.float32)
>>> maps = np.random.default_rng(0).random((2, 8, 8))
>>> path = overlay(images, maps, predicted=[0, 1], true=[0, 0], class_names=['cat', 'dog'],
...                path=os.path.join(tempfile.mkdtemp(), 'cam.png'))
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import math
import os
from typing import Any, Sequence

import numpy as np
import torch

from glassnet.config import image_data_format
from glassnet.errors import ShapeError
from glassnet.explain.figures import new_figure, save_figure


def display_images(images: Any, data_format: str | None = None) -> np.ndarray:
    """Images as (N, H, W, C) floats in [0, 1] for display, whatever their layout and range
    (uint8, [0, 1], or preprocessed to [-1, 1] / mean-centred: each image is stretched to [0, 1]).

    >>> float(display_images(np.full((1, 2, 2, 1), 255, np.uint8)).max())
    1.0
    """
    arr = images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images)
    arr = arr.astype(np.float32)
    if arr.ndim == 3:
        arr = arr[..., None] if arr.shape[-1] not in (1, 3) else arr[None]
    if (data_format or image_data_format()) == "channels_first":
        arr = arr.transpose(0, 2, 3, 1)
    if arr.min() >= 0 and arr.max() <= 1:
        return arr
    if arr.min() >= 0 and arr.max() <= 255 and np.issubdtype(np.asarray(images).dtype, np.integer):
        return arr / 255.0
    lo = arr.min(axis=(1, 2, 3), keepdims=True)
    hi = arr.max(axis=(1, 2, 3), keepdims=True)
    return (arr - lo) / np.maximum(hi - lo, 1e-8)


def _label(value: Any, class_names: Sequence[str] | None) -> str:
    value = int(value)
    return str(class_names[value]) if class_names is not None and 0 <= value < len(class_names) else str(value)


def _heat_layer(heat: np.ndarray, cmap: str, alpha: float) -> np.ndarray:
    """RGBA picture of a [0, 1] map whose opacity grows with the value: where the map is 0 the image
    shows unchanged."""
    import matplotlib
    rgba = matplotlib.colormaps[cmap](heat)
    rgba[..., 3] = alpha * np.sqrt(heat)
    return rgba


def overlay(images: Any, maps: Any, predicted: Sequence | None = None, true: Sequence | None = None,
            class_names: Sequence[str] | None = None, path: str | os.PathLike = "explain.png",
            alpha: float = 0.5, cmap: str = "jet", columns: int | None = None, title: str | None = None,
            side_by_side: bool = False) -> str:
    """Save a grid of ``images`` with their ``maps`` (N, H, W) laid over them as a PNG; returns the path.

    Each tile is titled with the predicted and true class (red when they differ). Each map is scaled
    to its own [0, 1] (maps of signed attributions: their absolute value). ``side_by_side=True`` puts
    the bare image beside each overlay.
    """
    shown = display_images(images)
    heat = np.abs(np.asarray(maps, dtype=np.float32))
    if heat.ndim != 3 or heat.shape[0] != len(shown) or heat.shape[1:] != shown.shape[1:3]:
        raise ShapeError(f"overlay: maps of shape {heat.shape} do not fit images of shape {shown.shape[:3]} + "
                         "channels; pass one (H, W) map per image, e.g. grad_cam(model, images).")
    heat = heat / np.maximum(heat.reshape(len(heat), -1).max(1), 1e-12)[:, None, None]
    n = len(shown)
    per_item = 2 if side_by_side else 1
    most = max(1, 8 // per_item)
    cols = columns or math.ceil(n / math.ceil(n / most))  # balanced rows: 9 images are 5 + 4, not 8 + 1
    rows = math.ceil(n / cols)
    fig, axes = new_figure(rows, cols * per_item, (2.2 * cols * per_item, 2.4 * rows))
    for ax in axes.flat:
        ax.axis("off")
    for i in range(n):
        r, c = divmod(i, cols)
        image = shown[i][..., 0] if shown.shape[-1] == 1 else shown[i]
        gray = "gray" if shown.shape[-1] == 1 else None
        if side_by_side:
            axes[r, c * 2].imshow(image, cmap=gray, vmin=0, vmax=1)
        ax = axes[r, c * per_item + per_item - 1]
        ax.imshow(image, cmap=gray, vmin=0, vmax=1)
        ax.imshow(_heat_layer(heat[i], cmap, alpha))
        parts, colour = [], "black"
        if predicted is not None:
            parts.append(f"pred {_label(predicted[i], class_names)}")
        if true is not None:
            parts.append(f"true {_label(true[i], class_names)}")
            if predicted is not None and int(predicted[i]) != int(true[i]):
                colour = "red"
        (axes[r, c * 2] if side_by_side else ax).set_title("\n".join(parts), fontsize=8, color=colour)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)


__all__ = ["overlay", "display_images"]
