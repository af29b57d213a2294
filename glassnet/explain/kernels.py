"""The course's filter exercise: slide a hand-written 3×3 kernel over an image with a real Conv2D.

A convolution layer computes, at every position, the sum of the image patch times the kernel
(cross-correlation, as in every deep-learning library). The vertical-edge kernel
[[1, 0, -1], [1, 0, -1], [1, 0, -1]] answers where brightness changes from left to right, and is
zero on flat areas and on horizontal edges. :data:`KERNELS` holds the classic ones.

>>> image = np.zeros((6, 6)); image[:, :3] = 1.0      # bright left half, dark right half
>>> convolve(image, 'vertical_edge')[0].tolist()
[0.0, 3.0, 3.0, 0.0]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.explain.figures import new_figure, save_figure

KERNELS: dict[str, np.ndarray] = {
    "vertical_edge": np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], np.float32),
    "horizontal_edge": np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], np.float32),
    "sobel_x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32),
    "sobel_y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], np.float32),
    "scharr_x": np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]], np.float32),
    "blur": np.full((3, 3), 1 / 9, np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], np.float32),
}
"""The classic kernels by name (vertical/horizontal edges, Sobel, Scharr, blur, sharpen, identity)."""


def _kernel(kernel: Any) -> tuple[str, np.ndarray]:
    if isinstance(kernel, str):
        from glassnet.naming import lookup
        return kernel, lookup("kernel", kernel, KERNELS)
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim != 2:
        raise ShapeError(f"convolve: the kernel must be a 2-D array such as [[1, 0, -1]] * 3, got shape {k.shape}.")
    return "kernel", k


def _gray(image: Any) -> np.ndarray:
    img = np.asarray(image.detach().cpu() if torch.is_tensor(image) else image, dtype=np.float32)
    if img.ndim == 3:
        img = img.mean(axis=-1)  # (H, W, C) -> gray: the kernel sees brightness
    if img.ndim != 2:
        raise ShapeError(f"convolve: expected one image (H, W) or (H, W, C), got shape {img.shape}.")
    return img


def convolve(image: Any, kernel: Any, padding: str = "valid", stride: int = 1,
             path: str | os.PathLike | None = None) -> np.ndarray:
    """Apply ``kernel`` (a name from :data:`KERNELS` or a 2-D array) to ``image`` ((H, W), or
    (H, W, C) which is first averaged to gray) with a real ``glassnet.layers.Conv2D`` whose weights
    are set to the kernel (no bias, no training). Returns the output (H', W'); with ``path``, also
    saves input | kernel | output side by side as a PNG.

    >>> convolve(np.eye(4), [[1, 1], [1, 1]]).tolist()
    [[2.0, 1.0, 0.0], [1.0, 2.0, 1.0], [0.0, 1.0, 2.0]]
    """
    from glassnet.layers import Conv2D, Input
    from glassnet.models import Sequential

    name, k = _kernel(kernel)
    gray = _gray(image)
    if padding not in ("valid", "same"):
        raise InvalidArgumentError(f"convolve: padding={padding!r}; use 'valid' (output shrinks) or 'same'.")
    conv = Conv2D(1, k.shape, strides=stride, padding=padding, use_bias=False)
    net = Sequential([Input(shape=(*gray.shape, 1), batch_size=1), conv])  # a real layer in a real model
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(k)[None, None])  # torch layout: (out, in, kh, kw)
        out = net(torch.from_numpy(np.ascontiguousarray(gray))[None, :, :, None].permute(
            *((0, 1, 2, 3) if net.data_format == "channels_last" else (0, 3, 1, 2))))
    out = out[0, :, :, 0] if net.data_format == "channels_last" else out[0, 0]
    result = out.numpy()
    if path is not None:
        show_convolution(gray, k, result, path, title=name)
    return result


def show_convolution(image: np.ndarray, kernel: np.ndarray, output: np.ndarray, path: str | os.PathLike,
                     title: str = "kernel") -> str:
    """Save input | kernel (with its numbers) | output side by side as a PNG; returns the path."""
    fig, axes = new_figure(1, 3, (10, 3.6))
    axes[0, 0].imshow(image, cmap="gray")
    axes[0, 0].set_title(f"input {image.shape[0]}×{image.shape[1]}")
    limit = float(np.abs(kernel).max()) or 1.0
    axes[0, 1].imshow(kernel, cmap="coolwarm", vmin=-limit, vmax=limit)
    for (r, c), v in np.ndenumerate(kernel):
        axes[0, 1].text(c, r, f"{v:g}" if abs(v) >= 0.01 else "0", ha="center", va="center", fontsize=10)
    axes[0, 1].set_title(f"{title} {kernel.shape[0]}×{kernel.shape[1]}")
    span = float(np.abs(output).max()) or 1.0
    im = axes[0, 2].imshow(output, cmap="coolwarm", vmin=-span, vmax=span)
    axes[0, 2].set_title(f"output {output.shape[0]}×{output.shape[1]}")
    fig.colorbar(im, ax=axes[0, 2], fraction=0.046)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, path)


__all__ = ["KERNELS", "convolve", "show_convolution"]
