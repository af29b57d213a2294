"""Is a map on the object? The share of a map's mass that falls inside a box.

The "energy-based pointing game" (Wang et al. 2020, Score-CAM): of the non-negative mass of each map,
the fraction inside the object's box. A map that ignores where the object is puts about the box's area
share inside it, so that share is the null to compare with: ``mass_inside(maps, box)`` against
``area_share(maps.shape[1:], box)``.

>>> maps = np.zeros((2, 4, 4)); maps[0, 1:3, 1:3] = 1.0; maps[1] = 1.0
>>> mass_inside(maps, (1, 1, 3, 3)).tolist(), area_share((4, 4), (1, 1, 3, 3))
([1.0, 0.25], 0.25)
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from glassnet.errors import InvalidArgumentError, ShapeError


def _mask(shape: Sequence[int], box: Sequence[int]) -> np.ndarray:
    top, left, bottom, right = (int(v) for v in box)
    height, width = shape
    if not (0 <= top < bottom <= height and 0 <= left < right <= width):
        raise InvalidArgumentError(f"explain: box {tuple(box)} (top, left, bottom, right) does not lie inside maps of "
                                   f"{height}x{width}; give pixel bounds with 0 <= top < bottom <= {height} and "
                                   f"0 <= left < right <= {width}.")
    mask = np.zeros((height, width), bool)
    mask[top:bottom, left:right] = True
    return mask


def area_share(shape: Sequence[int], box: Sequence[int]) -> float:
    """The box's share of a (H, W) map's area: what a map that ignores the object puts inside it.

    >>> area_share((10, 10), (0, 0, 5, 10))
    0.5
    """
    return float(_mask(tuple(shape), box).mean())


def mass_inside(maps: np.ndarray, box: Sequence[int]) -> np.ndarray:
    """For each (H, W) map of ``maps`` (N, H, W): the fraction of its non-negative mass that lies in
    ``box`` = (top, left, bottom, right) in pixels (bottom/right exclusive). NaN for an all-zero map.

    >>> mass_inside(np.array([[[0.0, 3.0], [1.0, -5.0]]]), (0, 1, 1, 2)).tolist()   # negatives count as 0
    [0.75]
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ShapeError(f"mass_inside: expected maps of shape (N, H, W), got {maps.shape}; grad_cam, saliency and "
                         "occlusion return that shape (pass keep_channels=False).")
    positive = np.clip(maps, 0.0, None)
    total = positive.sum((1, 2))
    inside = positive[:, _mask(maps.shape[1:], box)].sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1.0), np.nan)


__all__ = ["mass_inside", "area_share"]
