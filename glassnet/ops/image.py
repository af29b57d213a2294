"""Image ops of ``keras.ops`` (``keras.ops.image``).

>>> resize(torch.ones(1, 4, 4, 3), (2, 2)).shape
torch.Size([1, 2, 2, 3])
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from glassnet.ops.core import convert_to_tensor


def resize(images: Any, size: Sequence[int], interpolation: str = "bilinear", antialias: bool = False,
            data_format: str | None = None) -> torch.Tensor:
    """Resize images (batch or single, channels_last by default) to ``size`` (height, width).

    >>> resize(torch.ones(1, 4, 4, 3), (2, 2)).shape
    torch.Size([1, 2, 2, 3])
    """
    from glassnet.config import resolve_data_format

    x = convert_to_tensor(images)
    single = x.dim() == 3
    x = x[None] if single else x
    last = resolve_data_format(data_format) == "channels_last"
    x = x.movedim(-1, 1) if last else x
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "area"}.get(interpolation)
    if mode is None:
        raise ValueError(f"image.resize(interpolation={interpolation!r}): use bilinear, nearest, bicubic or area.")
    kwargs = {"align_corners": False, "antialias": antialias} if mode in ("bilinear", "bicubic") else {}
    y = F.interpolate(x.float() if not x.is_floating_point() else x, size=tuple(size), mode=mode, **kwargs)
    y = y.movedim(1, -1) if last else y
    return y[0] if single else y
