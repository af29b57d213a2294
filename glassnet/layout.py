"""The one place where Keras' (N, H, W, C) meets PyTorch's (N, C, H, W).

Images (rank-4 tensors) and volumes (rank 5) arrive in the user's layout. With
the default 'channels_last' format, a model's input converts them once into
NCHW *logical* order with channels-last *memory* — ``permute`` is zero-copy, so
oneDNN/cuDNN pick their fast NHWC kernels — and its output converts rank-4/5
results back. Every layer inside works in NCHW, like PyTorch. Sequences
(rank 3, (N, steps, features)) and vectors keep their layout: Conv1D is the only
layer that transposes, internally.

>>> import torch
>>> x = torch.zeros(2, 28, 28, 1)
>>> to_internal(x, 'channels_last').shape
torch.Size([2, 1, 28, 28])
"""

from __future__ import annotations

import torch

_depth = 0  # > 0 while a model's forward is running: nested models skip conversion


def is_converted_inside() -> bool:
    """True inside a model call, where tensors are already in internal layout."""
    return _depth > 0


class inside_model:
    """Context manager marking that tensors are in internal (NCHW) layout."""

    def __enter__(self):
        global _depth
        _depth += 1

    def __exit__(self, *exc):
        global _depth
        _depth -= 1


def to_internal(x: torch.Tensor, data_format: str, keep_integer: bool = False) -> torch.Tensor:
    """User layout -> internal layout (and integer data -> float32 unless ``keep_integer``).

    >>> to_internal(torch.zeros(1, 4, 5, 3), 'channels_last').is_contiguous(memory_format=torch.channels_last)
    True
    """
    if not keep_integer and not (x.is_floating_point() or x.is_complex()):
        x = x.float()
    if data_format == "channels_last" and x.dim() in (4, 5):
        x = x.movedim(-1, 1)
    return x


def to_user(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """Internal layout -> user layout (rank 4/5 only; zero-copy).

    >>> to_user(torch.zeros(1, 3, 4, 5), 'channels_last').shape
    torch.Size([1, 4, 5, 3])
    """
    if data_format == "channels_last" and torch.is_tensor(x) and x.dim() in (4, 5):
        return x.movedim(1, -1)
    return x


def user_shape(shape: tuple, data_format: str) -> tuple:
    """An internal shape written the way the user sees it (batch kept first).

    >>> user_shape((None, 32, 26, 26), 'channels_last')
    (None, 26, 26, 32)
    """
    shape = tuple(shape)
    if data_format == "channels_last" and len(shape) in (4, 5):
        return (shape[0], *shape[2:], shape[1])
    return shape


def internal_shape(shape: tuple, data_format: str) -> tuple:
    """A user shape (batch first) in internal order.

    >>> internal_shape((None, 28, 28, 1), 'channels_last')
    (None, 1, 28, 28)
    """
    shape = tuple(shape)
    if data_format == "channels_last" and len(shape) in (4, 5):
        return (shape[0], shape[-1], *shape[1:-1])
    return shape


def internal_axis(axis: int, ndim: int, data_format: str) -> int:
    """Map an axis the user names (Keras, e.g. -1 = channels) to the internal tensor's axis.

    >>> internal_axis(-1, 4, 'channels_last'), internal_axis(1, 4, 'channels_last')
    (1, 2)
    """
    axis = axis % ndim
    if data_format != "channels_last" or ndim not in (4, 5) or axis == 0:
        return axis
    return 1 if axis == ndim - 1 else axis + 1
