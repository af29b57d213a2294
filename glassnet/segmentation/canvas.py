"""A real segmentation and localisation task made from MNIST: digits placed on a larger canvas.

Each canvas holds a few digits at random, non-overlapping places. Every pixel is labelled
with its digit's class + 1 where the digit's ink is at least ``threshold`` (0 = background),
and every digit has a tight bounding box ``(x_min, y_min, x_max, y_max)`` as fractions of the
canvas side (Keras-CV's ``rel_xyxy``). The same ``seed`` gives the same canvases.

>>> import numpy as np
>>> digits = np.zeros((2, 28, 28), np.uint8); digits[:, 10:20, 12:16] = 255
>>> data = make_canvases(digits, np.array([3, 7]), count=4, canvas_size=56, digits=(1, 2), seed=0)
>>> data.images.shape, data.masks.shape, data.boxes.shape, sorted(set(data.masks.ravel().tolist()) - {0})
((4, 56, 56, 1), (4, 56, 56), (4, 2, 4), [4, 8])
"""

from __future__ import annotations

import os
from typing import NamedTuple, Sequence

import numpy as np

from glassnet.errors import InvalidArgumentError

BACKGROUND = 0


class Canvases(NamedTuple):
    """Canvases and their labels: ``images`` (N, S, S, 1) float32 in [0, 1]; ``masks`` (N, S, S)
    int64, 0 for background and 1 + digit elsewhere; ``boxes`` (N, D, 4) float32 relative
    ``(x_min, y_min, x_max, y_max)``; ``classes`` (N, D) int64 digits, -1 where a canvas has
    fewer than D digits (their boxes are zeros)."""

    images: np.ndarray
    masks: np.ndarray
    boxes: np.ndarray
    classes: np.ndarray


def _overlaps(box: tuple[int, int, int, int], taken: list[tuple[int, int, int, int]]) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in taken)


def shrink(images: np.ndarray, factor: int) -> np.ndarray:
    """Images (N, h, w) made ``factor`` times smaller by averaging ``factor x factor`` blocks (floats in [0, 1]).

    >>> shrink(np.full((1, 28, 28), 255, np.uint8), 2).shape, float(shrink(np.full((1, 4, 4), 255, np.uint8), 2).max())
    ((1, 14, 14), 1.0)
    """
    images = np.asarray(images, np.float32) / (255.0 if np.asarray(images).dtype == np.uint8 else 1.0)
    n, h, w = images.shape
    return images[:, :h - h % factor, :w - w % factor].reshape(n, h // factor, factor, w // factor, factor).mean((2, 4))


def make_canvases(images: np.ndarray, labels: np.ndarray, count: int, canvas_size: int = 56,
                  digits: Sequence[int] = (1, 3), seed: int = 0, threshold: float = 0.5) -> Canvases:
    """``count`` canvases of ``canvas_size`` pixels, each with between ``digits[0]`` and ``digits[1]``
    digits drawn at random from ``images`` (N, h, w) uint8 / [0, 1] floats with ``labels`` (N,).
    Digits never overlap (a digit that finds no free place after 50 tries is left out).

    >>> d = make_canvases(np.full((1, 28, 28), 255, np.uint8), np.array([5]), 1, canvas_size=28, digits=(1, 1))
    >>> d.boxes[0, 0].tolist(), int(d.classes[0, 0]), int(d.masks[0, 0, 0])
    ([0.0, 0.0, 1.0, 1.0], 5, 6)
    """
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    low, high = int(digits[0]), int(digits[1])
    h, w = images.shape[1:3]
    if not 1 <= low <= high or canvas_size < max(h, w):
        raise InvalidArgumentError(f"make_canvases(digits={tuple(digits)}, canvas_size={canvas_size}): need "
                                   f"1 <= digits[0] <= digits[1] and a canvas at least as large as a digit ({h}x{w}).")
    rng = np.random.default_rng(seed)
    out_images = np.zeros((count, canvas_size, canvas_size, 1), np.float32)
    masks = np.zeros((count, canvas_size, canvas_size), np.int64)
    boxes = np.zeros((count, high, 4), np.float32)
    classes = np.full((count, high), -1, np.int64)
    for i in range(count):
        taken: list[tuple[int, int, int, int]] = []
        for _ in range(int(rng.integers(low, high + 1))):
            pick = int(rng.integers(len(images)))
            digit = images[pick].astype(np.float32) / scale
            ys, xs = np.nonzero(digit >= threshold)
            if len(ys) == 0:
                continue
            for _attempt in range(50):
                top, left = (int(v) for v in rng.integers(0, canvas_size - np.array([h, w]) + 1))
                box = (left + xs.min(), top + ys.min(), left + xs.max() + 1, top + ys.max() + 1)
                if not _overlaps(box, taken):
                    break
            else:
                continue
            j = len(taken)
            taken.append(box)
            region = out_images[i, top:top + h, left:left + w, 0]
            np.maximum(region, digit, out=region)
            masks[i, top:top + h, left:left + w][digit >= threshold] = int(labels[pick]) + 1
            boxes[i, j] = np.array(box, np.float32) / canvas_size
            classes[i, j] = int(labels[pick])
    return Canvases(out_images, masks, boxes, classes)


def mnist_canvases(count: int, canvas_size: int = 56, digits: Sequence[int] = (1, 3), split: str = "train",
                   seed: int = 0, shrink_by: int = 1, data_dir: str | os.PathLike | None = None) -> Canvases:
    """:func:`make_canvases` from the MNIST ``split`` ('train' or 'test': the test canvases use only
    test digits). ``shrink_by=2`` makes the digits 14x14 (cheaper to learn on a CPU). Reads
    ``GLASSNET_DATA`` (or ``data_dir``).

    >>> data = mnist_canvases(8, canvas_size=64, digits=(1, 1), split='test')  # doctest: +SKIP
    >>> data.images.shape, data.classes.shape  # doctest: +SKIP
    ((8, 64, 64, 1), (8, 1))
    """
    from glassnet.datasets import mnist
    if split not in ("train", "test"):
        raise InvalidArgumentError(f"mnist_canvases(split={split!r}): use 'train' or 'test'.")
    train, test = mnist.load_data(data_dir=data_dir)
    x, y = train if split == "train" else test
    if shrink_by > 1:
        x = shrink(x, shrink_by)
    return make_canvases(x, y, count, canvas_size, digits, seed)


__all__ = ["Canvases", "make_canvases", "mnist_canvases", "shrink", "BACKGROUND"]
