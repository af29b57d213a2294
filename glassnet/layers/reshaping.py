"""Reshaping layers: Reshape, Permute, ZeroPadding1D/2D/3D, Cropping1D/2D, UpSampling1D/2D, RepeatVector.

Shapes and axes are given in the user's layout, as in Keras:
``Reshape((7, 7, 64))`` after a ``Dense(7*7*64)`` makes a 7×7 image with 64
channels (internally (N, 64, 7, 7), channels-last memory).

>>> import torch
>>> Reshape((7, 7, 64), data_format='channels_last')(torch.zeros(2, 3136)).shape
torch.Size([2, 64, 7, 7])
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from glassnet import layout
from glassnet.config import resolve_data_format
from glassnet.errors import ShapeError
from glassnet.layers._utils import channels_first_1d, from_channels_first_1d, normalize_tuple
from glassnet.layers.base import Layer


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (user layout, batch excluded; one entry may be -1).

    >>> import torch
    >>> Reshape((3, 4))(torch.zeros(2, 12)).shape
    torch.Size([2, 3, 4])
    """

    def __init__(self, target_shape: Sequence[int], data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(s) for s in target_shape)
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        x = layout.to_user(inputs, self.data_format)
        sample = x.shape[1:].numel()
        known = math.prod(s for s in self.target_shape if s != -1)
        fits = sample % known == 0 if -1 in self.target_shape else sample == known
        if not fits:
            shown = layout.user_shape(tuple(inputs.shape), self.data_format)
            raise ShapeError(f"Layer '{self.name}' (Reshape) cannot reshape an input of shape {shown} "
                             f"({sample} values per sample) to {self.target_shape}.")
        y = x.reshape(x.shape[0], *self.target_shape)
        return layout.to_internal(y, self.data_format, keep_integer=True)


class Permute(Layer):
    """Reorder the axes of each sample; ``dims`` are 1-based user-layout axes, e.g. (2, 1) swaps them.

    >>> import torch
    >>> Permute((2, 1))(torch.zeros(4, 10, 64)).shape
    torch.Size([4, 64, 10])
    """

    def __init__(self, dims: Sequence[int], data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute(dims={dims}): dims must be a permutation of 1..{len(self.dims)}.")
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        x = layout.to_user(inputs, self.data_format)
        return layout.to_internal(x.permute(0, *self.dims), self.data_format, keep_integer=True)


def _pairs(value: Any, rank: int, name: str) -> tuple[tuple[int, int], ...]:
    """int, (a, b, ...) or ((a0, a1), (b0, b1), ...) as (before, after) pairs per axis."""
    if isinstance(value, int):
        return ((value, value),) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return ((int(value[0]), int(value[1])),)
    if len(value) != rank:
        raise ValueError(f"{name} must be an int, {rank} ints or {rank} (before, after) pairs, got {value!r}.")
    return tuple((v, v) if isinstance(v, int) else (int(v[0]), int(v[1])) for v in value)


class _Spatial(Layer):
    """Padding/cropping/upsampling over the spatial axes of (N, C, *spatial) internal tensors."""

    rank = 2

    def _to_ncw(self, x):
        return channels_first_1d(x, self.data_format) if self.rank == 1 else x

    def _from_ncw(self, x):
        return from_channels_first_1d(x, self.data_format) if self.rank == 1 else x


class _ZeroPadding(_Spatial):
    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, self.rank, "padding")
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        flat = [a for before, after in reversed(self.padding) for a in (before, after)]
        return self._from_ncw(F.pad(self._to_ncw(inputs), flat))


class ZeroPadding1D(_ZeroPadding):
    """Add zeros at the start and end of sequences.

    >>> import torch
    >>> ZeroPadding1D(2)(torch.ones(1, 3, 1)).flatten().tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    """

    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Add rows/columns of zeros around images: ``padding`` is an int, (rows, cols) or
    ((top, bottom), (left, right)).

    >>> import torch
    >>> ZeroPadding2D(((0, 1), (0, 1)))(torch.ones(1, 1, 2, 2)).shape
    torch.Size([1, 1, 3, 3])
    """

    rank = 2


class ZeroPadding3D(_ZeroPadding):
    """Add zeros around volumes.

    >>> import torch
    >>> ZeroPadding3D(1)(torch.ones(1, 1, 2, 2, 2)).shape
    torch.Size([1, 1, 4, 4, 4])
    """

    rank = 3


class _Cropping(_Spatial):
    def __init__(self, cropping: Any = 1, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping")
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        x = self._to_ncw(inputs)
        index = [slice(None), slice(None)]
        for (before, after), size in zip(self.cropping, x.shape[2:]):
            if before + after >= size:
                raise ShapeError(f"Layer '{self.name}' ({type(self).__name__}): cropping {self.cropping} "
                                 f"removes everything from an axis of size {size}.")
            index.append(slice(before, size - after))
        return self._from_ncw(x[tuple(index)])


class Cropping1D(_Cropping):
    """Remove steps at the start and end of sequences.

    >>> import torch
    >>> Cropping1D((1, 2))(torch.arange(5.0).reshape(1, 5, 1)).flatten().tolist()
    [1.0, 2.0]
    """

    rank = 1


class Cropping2D(_Cropping):
    """Remove rows/columns at the image borders (U-Net skip connections).

    >>> import torch
    >>> Cropping2D(((1, 1), (2, 2)))(torch.zeros(1, 3, 8, 8)).shape
    torch.Size([1, 3, 6, 4])
    """

    rank = 2


class _UpSampling(_Spatial):
    def __init__(self, size: Any = 2, data_format: str | None = None, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, self.rank, "size")
        self.data_format = resolve_data_format(data_format)
        modes = ("nearest", "bilinear") if self.rank == 2 else ("nearest",)
        if interpolation not in modes:
            raise ValueError(f"{type(self).__name__}: interpolation must be one of {modes}, got {interpolation!r}.")
        self.interpolation = interpolation

    def call(self, inputs):
        x = self._to_ncw(inputs)
        if self.interpolation == "nearest":
            y = F.interpolate(x, scale_factor=self.size, mode="nearest")
        else:
            y = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        return self._from_ncw(y)


class UpSampling1D(_UpSampling):
    """Repeat each step ``size`` times.

    >>> import torch
    >>> UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]])).flatten().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    rank = 1


class UpSampling2D(_UpSampling):
    """Enlarge images by ``size`` (rows, cols): 'nearest' repeats pixels, 'bilinear' interpolates.

    >>> import torch
    >>> UpSampling2D()(torch.zeros(1, 3, 7, 7)).shape
    torch.Size([1, 3, 14, 14])
    """

    rank = 2


class RepeatVector(Layer):
    """Repeat a vector ``n`` times: (N, features) -> (N, n, features) (seq2seq decoders).

    >>> import torch
    >>> RepeatVector(3)(torch.zeros(2, 5)).shape
    torch.Size([2, 3, 5])
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)


__all__ = ["Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
           "UpSampling1D", "UpSampling2D", "RepeatVector"]
