"""Merging layers: combine a list of tensors (ResNet's skip connection, Inception's concatenation).

>>> import torch
>>> Add()([torch.ones(2, 3), torch.ones(2, 3)]).tolist()
[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
>>> Concatenate()([torch.zeros(1, 2), torch.zeros(1, 3)]).shape
torch.Size([1, 5])
"""

from __future__ import annotations

import functools
from typing import Sequence

import torch

from glassnet import layout
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer


class _Merge(Layer):
    """Element-wise merge of a list of same-shaped tensors (size-1 axes broadcast)."""

    min_inputs = 2

    def _check(self, inputs) -> list[torch.Tensor]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self.min_inputs:
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) must be called on a list of at "
                             f"least {self.min_inputs} tensors, e.g. {type(self).__name__}()([a, b]).")
        try:
            torch.broadcast_shapes(*(t.shape for t in inputs))
        except RuntimeError:
            shapes = [layout.user_shape(tuple(t.shape), self.data_format) for t in inputs]
            raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}) needs inputs of the same shape, got "
                             f"{', '.join(str(s) for s in shapes)}. Make the branches produce matching shapes "
                             "(e.g. a 1x1 Conv2D or a strided shortcut).") from None
        return list(inputs)

    def call(self, inputs):
        return self._merge(self._check(inputs))

    def _merge(self, tensors: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError


class Add(_Merge):
    """Sum of the inputs.

    >>> import torch
    >>> Add()([torch.tensor([1.0]), torch.tensor([2.0]), torch.tensor([3.0])]).tolist()
    [6.0]
    """

    def _merge(self, tensors):
        return functools.reduce(torch.add, tensors)


class Subtract(_Merge):
    """First input minus the second (exactly two inputs).

    >>> import torch
    >>> Subtract()([torch.tensor([5.0]), torch.tensor([2.0])]).tolist()
    [3.0]
    """

    def _merge(self, tensors):
        if len(tensors) != 2:
            raise ShapeError(f"Layer '{self.name}' (Subtract) takes exactly 2 inputs, got {len(tensors)}.")
        return tensors[0] - tensors[1]


class Multiply(_Merge):
    """Element-wise product of the inputs.

    >>> import torch
    >>> Multiply()([torch.tensor([2.0]), torch.tensor([3.0])]).tolist()
    [6.0]
    """

    def _merge(self, tensors):
        return functools.reduce(torch.mul, tensors)


class Average(_Merge):
    """Element-wise mean of the inputs (e.g. an ensemble's predictions).

    >>> import torch
    >>> Average()([torch.tensor([1.0]), torch.tensor([2.0])]).tolist()
    [1.5]
    """

    def _merge(self, tensors):
        return functools.reduce(torch.add, tensors) / len(tensors)


class Maximum(_Merge):
    """Element-wise maximum of the inputs.

    >>> import torch
    >>> Maximum()([torch.tensor([1.0, 5.0]), torch.tensor([2.0, 3.0])]).tolist()
    [2.0, 5.0]
    """

    def _merge(self, tensors):
        return functools.reduce(torch.maximum, tensors)


class Minimum(_Merge):
    """Element-wise minimum of the inputs.

    >>> import torch
    >>> Minimum()([torch.tensor([1.0, 5.0]), torch.tensor([2.0, 3.0])]).tolist()
    [1.0, 3.0]
    """

    def _merge(self, tensors):
        return functools.reduce(torch.minimum, tensors)


class Concatenate(Layer):
    """Join the inputs along ``axis`` (user layout; -1 = channels), as DenseNet and Inception do.

    >>> import torch
    >>> Concatenate()([torch.zeros(1, 2, 4, 4), torch.zeros(1, 3, 4, 4)]).shape  # internal NCHW: channels
    torch.Size([1, 5, 4, 4])
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs: Sequence[torch.Tensor]):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 1:
            raise ShapeError(f"Layer '{self.name}' (Concatenate) must be called on a list of tensors, "
                             "e.g. Concatenate()([a, b]).")
        ndim = inputs[0].dim()
        axis = layout.internal_axis(self.axis, ndim, self.data_format)
        reference = [s for i, s in enumerate(inputs[0].shape) if i != axis]
        if any(t.dim() != ndim or [s for i, s in enumerate(t.shape) if i != axis] != reference for t in inputs):
            shapes = [layout.user_shape(tuple(t.shape), self.data_format) for t in inputs]
            raise ShapeError(f"Layer '{self.name}' (Concatenate) needs inputs that match except on the "
                             f"concatenation axis {self.axis}, got {', '.join(str(s) for s in shapes)}.")
        return torch.cat(list(inputs), dim=axis)


def add(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Add`.

    >>> import torch
    >>> add([torch.tensor([1.0]), torch.tensor([2.0])]).tolist()
    [3.0]
    """
    return Add(**kwargs)(inputs)


def concatenate(inputs: Sequence[torch.Tensor], axis: int = -1, **kwargs) -> torch.Tensor:
    """Functional form of :class:`Concatenate`.

    >>> import torch
    >>> concatenate([torch.zeros(2, 1), torch.zeros(2, 2)]).shape
    torch.Size([2, 3])
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "add", "concatenate"]


def subtract(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Subtract`.

    >>> import torch
    >>> subtract([torch.tensor([3.0]), torch.tensor([2.0])]).tolist()
    [1.0]
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Multiply`.

    >>> import torch
    >>> multiply([torch.tensor([3.0]), torch.tensor([2.0])]).tolist()
    [6.0]
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Average`.

    >>> import torch
    >>> average([torch.tensor([1.0]), torch.tensor([2.0])]).tolist()
    [1.5]
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Maximum`.

    >>> import torch
    >>> maximum([torch.tensor([1.0]), torch.tensor([2.0])]).tolist()
    [2.0]
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[torch.Tensor], **kwargs) -> torch.Tensor:
    """Functional form of :class:`Minimum`.

    >>> import torch
    >>> minimum([torch.tensor([1.0]), torch.tensor([2.0])]).tolist()
    [1.0]
    """
    return Minimum(**kwargs)(inputs)
