"""Keras' image helpers: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (Pillow underneath).

Arrays are (H, W, C) float32 by default, as in Keras.

>>> import numpy as np
>>> img = array_to_img(np.zeros((4, 6, 3)))
>>> img.size, img_to_array(img).shape
((6, 4), (4, 6, 3))
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

_RESAMPLING = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "lanczos": "LANCZOS",
               "box": "BOX", "hamming": "HAMMING"}
_MODES = {"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}


def load_img(path: str | os.PathLike, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False):
    """Open an image file as a Pillow image in ``color_mode``, resized to ``target_size`` (height, width)."""
    from PIL import Image

    if color_mode not in _MODES:
        raise ValueError(f"load_img(color_mode={color_mode!r}): use 'rgb', 'rgba' or 'grayscale'.")
    if interpolation not in _RESAMPLING:
        raise ValueError(f"load_img(interpolation={interpolation!r}): use one of {', '.join(_RESAMPLING)}.")
    with Image.open(path) as opened:
        img = opened.convert(_MODES[color_mode])
    if target_size is not None:
        height, width = target_size
        if keep_aspect_ratio:  # crop the centre to the target's aspect ratio first, as Keras does
            scale = min(img.width / width, img.height / height)
            crop_w, crop_h = int(width * scale), int(height * scale)
            left, top = (img.width - crop_w) // 2, (img.height - crop_h) // 2
            img = img.crop((left, top, left + crop_w, top + crop_h))
        if img.size != (width, height):
            img = img.resize((width, height), getattr(Image.Resampling, _RESAMPLING[interpolation]))
    return img


def img_to_array(img: Any, data_format: str | None = None, dtype: str = "float32") -> np.ndarray:
    """A Pillow image as an (H, W, C) array ((C, H, W) with ``data_format='channels_first'``).

    >>> from PIL import Image
    >>> img_to_array(Image.new('L', (3, 2))).shape
    (2, 3, 1)
    """
    from glassnet.config import resolve_data_format

    array = np.asarray(img, dtype=dtype)
    if array.ndim == 2:
        array = array[..., None]
    return array.transpose(2, 0, 1) if resolve_data_format(data_format) == "channels_first" else array


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None):
    """An (H, W, C) array (1, 3 or 4 channels) as a Pillow image; ``scale`` maps its range to 0-255."""
    from PIL import Image

    from glassnet.config import resolve_data_format

    array = np.asarray(x, dtype="float32")
    if array.ndim != 3:
        raise ValueError(f"array_to_img needs a rank-3 image array (H, W, C), got shape {array.shape}.")
    if resolve_data_format(data_format) == "channels_first":
        array = array.transpose(1, 2, 0)
    if scale:
        array = array - array.min()
        peak = array.max()
        array = array / peak * 255 if peak > 0 else array
    channels = array.shape[-1]
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if mode is None:
        raise ValueError(f"array_to_img: {channels} channels; images have 1, 3 or 4.")
    pixels = np.clip(array, 0, 255).astype("uint8")
    return Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)


def save_img(path: str | os.PathLike, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Write an (H, W, C) array as an image file."""
    array_to_img(x, data_format=data_format, scale=scale).save(path, format=file_format, **kwargs)


__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]
