"""Look at your data before training: a PNG grid of images with their labels, and an augmentation preview.

>>> import numpy as np, tempfile, os
>>> path = show(np.zeros((4, 8, 8), np.uint8), [0, 1, 0, 1], path=os.path.join(tempfile.mkdtemp(), 'g.png'))
>>> path.endswith('g.png')
True
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from glassnet import layout
from glassnet.config import image_data_format


def _to_numpy_images(x: Any) -> np.ndarray:
    """(N, H, W[, C]) numpy in the user's layout, values for display in [0, 1]."""
    arr = x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)
    if arr.ndim == 4 and image_data_format() == "channels_first":
        arr = arr.transpose(0, 2, 3, 1)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    arr = arr.astype(np.float32)
    if arr.max(initial=0) > 1.0 or arr.min(initial=0) < 0:
        lo, hi = (0.0, 255.0) if arr.min() >= 0 and arr.max() <= 255 else (float(arr.min()), float(arr.max()))
        arr = (arr - lo) / max(hi - lo, 1e-8)
    return arr.clip(0, 1)


def _label_text(label: Any, class_names: Sequence[str] | None) -> str:
    value = np.asarray(label.detach().cpu() if torch.is_tensor(label) else label)
    if value.ndim and value.size > 1:
        value = value.argmax()
    value = value.item() if value.size == 1 else value
    if class_names is not None and float(value).is_integer() and 0 <= int(value) < len(class_names):
        return str(class_names[int(value)])
    return str(value)


def show(x: Any, y: Any = None, n: int = 25, class_names: Sequence[str] | None = None,
         path: str | os.PathLike = "samples.png", title: str | None = None, columns: int | None = None) -> str:
    """Save a grid of the first ``n`` images of ``x`` (with labels ``y``) as a PNG, ``columns`` wide
    (default: about square); returns its path.

    ``x`` may be an array/tensor of images or a dataset yielding ``(x, y)`` batches.

    >>> import tempfile
    >>> show(np.random.randint(0, 255, (9, 28, 28), np.uint8), np.arange(9),
    ...      path=os.path.join(tempfile.mkdtemp(), 'digits.png'))  # doctest: +ELLIPSIS
    '...digits.png'
    """
    from glassnet.plots import plt  # files outside notebooks (glassnet.plots.use_file_backend)

    if not isinstance(x, (np.ndarray, torch.Tensor, list)):
        class_names = class_names or getattr(x, "class_names", None)
        batch = next(iter(x))
        x, y = batch if isinstance(batch, tuple) else (batch, None)
    images = _to_numpy_images(x[:n])
    labels = None if y is None else list(y[:n])
    count = len(images)
    cols = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.7 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            ax.imshow(images[i], cmap="gray" if images[i].ndim == 2 else None, vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(_label_text(labels[i], class_names), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
    return str(path)


def show_augmentation(x: Any, *layers, n: int = 8, path: str | os.PathLike = "augmentation.png") -> str:
    """Save a PNG: the first row shows ``n`` original images, the next rows augmented versions.

    >>> import tempfile
    >>> from glassnet.layers.preprocessing import RandomFlip
    >>> show_augmentation(np.random.randint(0, 255, (4, 8, 8, 3), np.uint8), RandomFlip(seed=0),
    ...                   path=os.path.join(tempfile.mkdtemp(), 'aug.png'))  # doctest: +ELLIPSIS
    '...aug.png'
    """
    images = torch.as_tensor(np.asarray(x[:n]) if not torch.is_tensor(x) else x[:n]).float()
    if images.dim() == 3:
        images = images[..., None] if image_data_format() == "channels_last" else images[:, None]
    fmt = image_data_format()
    rows = [images]
    for _ in range(3):
        out = layout.to_internal(images, fmt)
        for layer in layers:
            out = layer(out, training=True)  # this call only: the layer's own mode is left as it was
        rows.append(layout.to_user(out, fmt))
    size = rows[-1].shape[1:]
    rows = [r if r.shape[1:] == size else layout.to_user(torch.nn.functional.interpolate(
        layout.to_internal(r, fmt), size=size[:2] if fmt == "channels_last" else size[1:]), fmt) for r in rows]
    grid = torch.cat(rows)
    return show(grid, None, n=len(grid), path=path, title="top: original; below: augmented", columns=len(images))
