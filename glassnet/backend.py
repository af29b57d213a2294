"""``keras.backend``, the few functions Keras programs still call: the backend is always PyTorch.

>>> from glassnet import backend
>>> backend.backend(), backend.floatx(), backend.epsilon()
('torch', 'float32', 1e-07)
>>> backend.image_data_format()
'channels_last'
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import torch

from glassnet.config import image_data_format, set_image_data_format
from glassnet.ops import standardize_dtype

_EPSILON = 1e-7


def backend() -> str:
    """The name of the tensor library underneath: ``'torch'``."""
    return "torch"


def floatx() -> str:
    """The default float type of weights and inputs: ``'float32'`` (mixed precision is a ``compile`` option)."""
    return "float32"


def set_floatx(value: str) -> None:
    """Only ``'float32'`` is supported: glassnet keeps weights in float32 and runs bf16 through
    ``compile(precision='bfloat16')``.

    >>> set_floatx('float32')
    """
    if value != "float32":
        raise ValueError(f"set_floatx('{value}'): glassnet keeps weights in float32. For faster training use "
                         "model.compile(..., precision='bfloat16') (mixed precision on supported devices).")


def epsilon() -> float:
    """The small constant Keras adds to avoid division by zero (1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Change :func:`epsilon`.

    >>> set_epsilon(1e-7)
    """
    global _EPSILON
    _EPSILON = float(value)


def clear_session() -> None:
    """Start fresh: automatic layer names restart ('dense', 'dense_1', ...) and freed memory is returned.

    >>> clear_session()
    """
    from glassnet.naming import reset_names

    reset_names()
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def int_shape(x: Any) -> tuple:
    """A tensor's shape as a tuple of ints.

    >>> int_shape(torch.zeros(2, 3))
    (2, 3)
    """
    return tuple(getattr(x, "shape", np.shape(x)))


def get_value(x: Any) -> Any:
    """A tensor's value as numpy (numbers pass through), e.g. ``get_value(model.optimizer.learning_rate)``.

    >>> get_value(torch.tensor([1.0]))
    array([1.], dtype=float32)
    """
    if torch.is_tensor(x):
        return x.detach().cpu().numpy()
    return x


def set_value(x: torch.Tensor, value: Any) -> None:
    """Overwrite a tensor in place with ``value``.

    >>> t = torch.zeros(2); set_value(t, [1, 2]); t.tolist()
    [1.0, 2.0]
    """
    with torch.no_grad():
        x.copy_(torch.as_tensor(np.asarray(value), dtype=x.dtype))


__all__ = ["backend", "floatx", "set_floatx", "epsilon", "set_epsilon", "clear_session", "image_data_format",
           "set_image_data_format", "standardize_dtype", "int_shape", "get_value", "set_value"]
