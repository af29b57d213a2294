"""ImageNet preprocessing and label decoding, per model family (Keras' three modes).

* ``'caffe'`` (Keras VGG16/19, ResNet50...): RGB -> BGR, subtract the BGR means (103.939, 116.779, 123.68);
* ``'tf'`` (Inception, Xception, MobileNet): scale to [-1, 1];
* ``'torch'`` (DenseNet, every torchvision weight set): scale to [0, 1], then normalise with
  ImageNet's mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).

Inputs are 0-255 RGB images in the user's layout ((N, H, W, C) by default), NumPy or torch.
The 1000 class names ship as data (``glassnet/data/imagenet_class_index.json``, Keras' file).

>>> import numpy as np
>>> float(preprocess_input(np.full((1, 2, 2, 3), 255.0), mode='tf').max())
1.0
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any, Callable

import numpy as np
import torch

from glassnet.config import resolve_data_format
from glassnet.errors import ShapeError, UnknownNameError

MODES = ("caffe", "tf", "torch", "none")
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Prepare 0-255 RGB images for an ImageNet model (see the module docstring for ``mode``).

    Returns the same kind of array it was given (a new float array; the input is not changed).

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3)), mode='caffe')[0, 0, 0].astype(float).round(3).tolist()
    [-103.939, -116.779, -123.68]
    """
    if mode not in MODES:
        raise UnknownNameError(f"Unknown preprocessing mode '{mode}'. Valid: {', '.join(MODES)}.")
    data_format = resolve_data_format(data_format)
    is_torch = torch.is_tensor(x)
    arr = x.detach().to(torch.float32).clone() if is_torch else np.array(x, dtype=np.float32)
    if arr.ndim < 3:
        raise ShapeError(f"preprocess_input expects images (H, W, 3) or batches (N, H, W, 3); got shape "
                         f"{tuple(arr.shape)}.")
    axis = -1 if data_format == "channels_last" else arr.ndim - 3
    if arr.shape[axis] != 3:
        raise ShapeError(f"preprocess_input expects 3 colour channels on axis {axis} ({data_format}); got shape "
                         f"{tuple(arr.shape)}. Use config.set_image_data_format or data_format= to match your data.")
    if mode == "none":
        return arr
    if mode == "tf":
        return arr / 127.5 - 1.0
    shape = [1] * arr.ndim
    shape[axis] = 3
    if mode == "torch":
        mean, std = _constant(_TORCH_MEAN, shape, is_torch), _constant(_TORCH_STD, shape, is_torch)
        return (arr / 255.0 - mean) / std
    arr = arr.flip(axis) if is_torch else np.flip(arr, axis=axis).copy()
    return arr - _constant(_CAFFE_MEAN_BGR, shape, is_torch)


def _constant(values, shape, is_torch: bool):
    array = np.asarray(values, dtype=np.float32).reshape(shape)
    return torch.from_numpy(array) if is_torch else array


@functools.cache
def class_index() -> dict[int, tuple[str, str]]:
    """``{index: (wordnet_id, name)}`` for the 1000 ImageNet classes.

    >>> class_index()[0]
    ('n01440764', 'tench')
    """
    text = resources.files("glassnet").joinpath("data/imagenet_class_index.json").read_text()
    return {int(k): (v[0], v[1]) for k, v in json.loads(text).items()}


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` classes of each row of ImageNet scores: ``[(wordnet_id, name, score), ...]``.

    >>> import numpy as np
    >>> p = np.zeros((1, 1000)); p[0, 207] = 0.9
    >>> decode_predictions(p, top=1)
    [[('n02099601', 'golden_retriever', 0.9)]]
    """
    scores = preds.detach().cpu().numpy() if torch.is_tensor(preds) else np.asarray(preds)
    if scores.ndim != 2 or scores.shape[1] != 1000:
        raise ShapeError(f"decode_predictions expects ImageNet scores of shape (samples, 1000); got "
                         f"{scores.shape}. Use a model built with include_top=True and classes=1000.")
    index = class_index()
    results = []
    for row in scores:
        best = np.argsort(row)[::-1][:top]
        results.append([(*index[int(i)], float(row[i])) for i in best])
    return results


def make_preprocess_input(mode: str, family: str = "") -> Callable[..., Any]:
    """Keras' per-family ``preprocess_input(x, data_format=None)``: :func:`preprocess_input` with ``mode`` fixed.

    Each family module (``glassnet.applications.vgg16``, ``.mobilenet``...) exposes one, as
    ``keras.applications.<family>.preprocess_input`` does.

    >>> import numpy as np
    >>> tf_mode = make_preprocess_input('tf', 'MobileNet')
    >>> float(tf_mode(np.zeros((1, 2, 2, 3))).min())
    -1.0
    """
    if mode not in MODES:
        raise UnknownNameError(f"Unknown preprocessing mode '{mode}'. Valid: {', '.join(MODES)}.")

    def preprocess(x: Any, data_format: str | None = None) -> Any:
        return preprocess_input(x, data_format=data_format, mode=mode)

    preprocess.__name__ = preprocess.__qualname__ = "preprocess_input"
    preprocess.__doc__ = (f"Prepare 0-255 RGB images for {family or 'this model'}'s ImageNet weights: "
                          f"``preprocess_input(x, mode='{mode}')`` (see :mod:`glassnet.applications.imagenet`).")
    return preprocess


def preprocess_for(model_name: str) -> Callable[..., Any]:
    """The ``preprocess_input`` of a registered model (its default weights' mode), as a function.

    >>> import numpy as np
    >>> float(preprocess_for('MobileNet')(np.zeros((1, 2, 2, 3))).min())
    -1.0
    """
    from glassnet.applications.registry import get_model_info
    info = get_model_info(model_name)
    return make_preprocess_input(info.preprocess, info.name)


__all__ = ["preprocess_input", "decode_predictions", "class_index", "preprocess_for", "make_preprocess_input",
           "MODES"]
