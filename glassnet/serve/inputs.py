"""Turning request bodies into model inputs, refusing anything hostile with a clear 4xx.

JSON bodies are ``{"inputs": [...]}``: one sample or a batch of samples already preprocessed (the model's
input, e.g. 28×28×1 floats in 0-1); images are decoded with Pillow (size checked before decoding, so a
decompression bomb is refused unread), turned grayscale or RGB, resized and scaled exactly as in training.

>>> import numpy as np
>>> from glassnet.export.preprocessing import Preprocessing
>>> pre = Preprocessing(input_shape=(2, 2, 1))
>>> parse_json_inputs(b'{"inputs": [[[0], [1]], [[1], [0]]]}', pre).shape
(1, 2, 2, 1)
>>> parse_json_inputs(b'{"inputs": []}', pre)
Traceback (most recent call last):
...
glassnet.serve.inputs.RequestError: The batch is empty: send at least one sample in "inputs".
"""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from glassnet.errors import InvalidArgumentError
from glassnet.export.preprocessing import Preprocessing

IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")


class RequestError(InvalidArgumentError):
    """A request the server refuses; ``status`` is the HTTP status code (4xx) it answers with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def parse_json_inputs(body: bytes, preprocessing: Preprocessing, max_items: int = 64,
                      integer: bool = False) -> np.ndarray:
    """A batch array from ``{"inputs": sample or [samples]}`` (see module docstring)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as err:
        raise RequestError(f"The body is not valid JSON ({type(err).__name__}). Send {{\"inputs\": [...]}} with "
                           "Content-Type: application/json.", 400) from None
    if not isinstance(payload, dict) or "inputs" not in payload:
        raise RequestError('The JSON body must be an object with an "inputs" array: {"inputs": [sample, ...]} '
                           f"(one sample has shape {list(preprocessing.input_shape)}).")
    inputs = payload["inputs"]
    if isinstance(inputs, list) and len(inputs) == 0:
        raise RequestError('The batch is empty: send at least one sample in "inputs".')
    try:
        array = np.asarray(inputs, dtype=np.float64)
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise RequestError('"inputs" must be a rectangular array of numbers (no strings, nulls or rows of '
                           f"different lengths); one sample has shape {list(preprocessing.input_shape)}.") from None
    shape = preprocessing.input_shape
    if array.shape == shape:
        array = array[None]
    if array.shape[1:] != shape:
        raise RequestError(f'"inputs" has shape {list(array.shape)}; the model takes samples of shape '
                           f"{list(shape)} (a batch is [N, {', '.join(map(str, shape))}]).")
    if len(array) == 0:
        raise RequestError('The batch is empty: send at least one sample in "inputs".')
    if len(array) > max_items:
        raise RequestError(f"The batch holds {len(array)} samples; this server takes at most {max_items} per "
                           "request. Split it into several requests.", 413)
    if not np.isfinite(array).all():
        raise RequestError('"inputs" holds NaN or infinite values; send finite numbers only.')
    if integer:
        if (array != np.round(array)).any():
            raise RequestError('This model takes integer inputs (token ids); "inputs" holds fractions.')
        return array.astype(np.int64)
    return array.astype(np.float32)


def decode_image(data: bytes, preprocessing: Preprocessing, max_pixels: int = 16_000_000) -> np.ndarray:
    """One uploaded image → a batch of one model input (grayscale/RGB, resized, scaled as in training)."""
    if not preprocessing.is_image:
        raise RequestError(f"This model takes samples of shape {list(preprocessing.input_shape)}, not images; "
                           'send JSON {"inputs": [...]} instead.', 415)
    if not data:
        raise RequestError("The uploaded image is empty (0 bytes).", 400)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise RequestError(f"The image is {width}×{height} pixels, over this server's limit of "
                                   f"{max_pixels:,} pixels; send a smaller image.", 413)
            image = ImageOps.exif_transpose(image)
            image.load()
        except RequestError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise RequestError("The image declares more pixels than Pillow's safety limit (a decompression bomb?); "
                               "send a smaller image.", 413) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise RequestError(f"The upload is not a readable image (accepted: {', '.join(IMAGE_FORMATS)}).",
                               415) from None
    return preprocessing.apply(_pixels(image, preprocessing))[None]


def _pixels(image: Image.Image, preprocessing: Preprocessing) -> np.ndarray:
    """(H, W, C) uint8: transparency over black, converted to the model's colour mode and size."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, rgba)
    image = image.convert("L" if preprocessing.color_mode == "grayscale" else "RGB")
    height, width = preprocessing.image_size
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.uint8)
    return pixels[..., None] if pixels.ndim == 2 else pixels
