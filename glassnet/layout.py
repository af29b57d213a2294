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

import contextlib
import contextvars

import torch
from torch.utils import _pytree as pytree

_internal: contextvars.ContextVar[bool] = contextvars.ContextVar("glassnet_internal_layout", default=False)


def is_internal() -> bool:
    """True while tensors are in internal (NCHW) layout: inside a model's call, where nested
    models must not convert again.

    >>> is_internal()
    False
    """
    return _internal.get()


@contextlib.contextmanager
def internal_layout():
    """Mark the tensors passed around inside this block as being in internal layout.

    A context variable, not a global counter: it is per thread and per task, and restored
    even when the block raises.

    >>> with internal_layout():
    ...     is_internal()
    True
    """
    token = _internal.set(True)
    try:
        yield
    finally:
        _internal.reset(token)


class InputAdapter:
    """The model's boundary: user layout in, internal layout inside, user layout out.

    A model owns one; it converts each rank-4/5 input once (zero-copy), runs the model's body
    under :func:`internal_layout`, and converts rank-4/5 outputs back. Called from inside another
    model (already internal), it passes tensors through unchanged.

    >>> adapter = InputAdapter('channels_last')
    >>> adapter.call(lambda t: t, torch.zeros(2, 28, 28, 1)).shape
    torch.Size([2, 28, 28, 1])
    """

    def __init__(self, data_format: str, keep_integer: bool = False):
        self.data_format = data_format
        self.keep_integer = keep_integer

    def call(self, body, *args, **kwargs):
        """``body(*args, **kwargs)`` with inputs converted in and outputs converted out."""
        if is_internal():
            return body(*args, **kwargs)
        args = map_tensors(lambda t: to_internal(t, self.data_format, self.keep_integer), args)
        with internal_layout():
            outputs = body(*args, **kwargs)
        return map_tensors(lambda t: to_user(t, self.data_format), outputs)


def map_tensors(fn, tree):
    """``fn`` applied to every tensor in ``tree``. A lone tensor or a plain tuple of tensors (the
    usual case, every step) skips pytree's flatten and unflatten, which cost more than the map.

    >>> map_tensors(lambda t: t + 1, (torch.zeros(1), 'x'))
    (tensor([1.]), 'x')
    """
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if type(tree) is tuple and all(isinstance(t, torch.Tensor) for t in tree):
        return tuple(fn(t) for t in tree)
    return pytree.tree_map(lambda t: fn(t) if torch.is_tensor(t) else t, tree)


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
        from glassnet import logits
        return logits.carry(x, x.movedim(1, -1), lambda t: t.movedim(1, -1))
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
