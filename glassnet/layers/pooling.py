"""Pooling layers: max/average pooling (1-D, 2-D, 3-D) and global pooling.

'same' padding follows Keras: the output has ``ceil(size / strides)`` cells, the
extra padding cell goes at the end, padded cells never win a max and are not
counted in an average.

>>> import torch
>>> MaxPooling2D()(torch.zeros(1, 6, 28, 28)).shape
torch.Size([1, 6, 14, 14])
>>> GlobalAveragePooling2D()(torch.ones(2, 8, 7, 7)).shape
torch.Size([2, 8])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet.config import resolve_data_format
from glassnet.layers._utils import (apply_padding, channels_first_1d, from_channels_first_1d, normalize_padding,
                                    normalize_tuple, pad_amounts)
from glassnet.layers.base import Layer

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class _Pooling(Layer):
    """Shared code of the max/average pooling layers."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        x = channels_first_1d(inputs, self.data_format) if self.rank == 1 else inputs
        y = self._pool(x)
        return from_channels_first_1d(y, self.data_format) if self.rank == 1 else y

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        pads = pad_amounts(x, self.padding, self.pool_size, self.strides, (1,) * self.rank)
        if self.mode == "max":
            x, torch_padding = apply_padding(x, pads, value=float("-inf"))
            return _MAX[self.rank](x, self.pool_size, self.strides, torch_padding)
        if all(before == after for before, after in pads):
            return _AVG[self.rank](x, self.pool_size, self.strides, tuple(b for b, _ in pads),
                                   count_include_pad=False)
        # Asymmetric 'same': average of zero-padded input divided by the fraction of real cells.
        padded, _ = apply_padding(x, pads)
        ones, _ = apply_padding(x.new_ones((1, 1, *x.shape[2:])), pads)
        fraction = _AVG[self.rank](ones, self.pool_size, self.strides)
        return _AVG[self.rank](padded, self.pool_size, self.strides) / fraction

    def _shape_hint(self, input_shape) -> str | None:
        return (f"{type(self).__name__} needs rank-{self.rank + 2} inputs at least {self.pool_size} in size; "
                "use padding='same' or remove a pooling layer for small inputs.")


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps of a sequence (N, steps, channels).

    >>> import torch
    >>> MaxPooling1D(2)(torch.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
    [1.0, 3.0]
    """

    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of an image: halves height and width by default.

    >>> import torch
    >>> MaxPooling2D()(torch.arange(16.0).reshape(1, 1, 4, 4)).flatten().tolist()
    [5.0, 7.0, 13.0, 15.0]
    """

    rank, mode = 2, "max"


class MaxPooling3D(_Pooling):
    """Max over ``pool_size`` windows of a volume.

    >>> import torch
    >>> MaxPooling3D()(torch.zeros(1, 2, 4, 4, 4)).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    rank, mode = 3, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps of a sequence.

    >>> import torch
    >>> AveragePooling1D(2)(torch.arange(4.0).reshape(1, 4, 1)).flatten().tolist()
    [0.5, 2.5]
    """

    rank, mode = 1, "avg"


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of an image.

    >>> import torch
    >>> AveragePooling2D()(torch.arange(16.0).reshape(1, 1, 4, 4)).flatten().tolist()
    [2.5, 4.5, 10.5, 12.5]
    """

    rank, mode = 2, "avg"


class AveragePooling3D(_Pooling):
    """Mean over ``pool_size`` windows of a volume.

    >>> import torch
    >>> AveragePooling3D()(torch.ones(1, 2, 4, 4, 4)).shape
    torch.Size([1, 2, 2, 2, 2])
    """

    rank, mode = 3, "avg"


class _GlobalPooling(Layer):
    """Shared code of the global pooling layers: reduce every spatial axis."""

    rank = 2
    mode = "avg"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = resolve_data_format(data_format)
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        if self.rank == 1:
            dims = (1,) if self.data_format == "channels_last" else (2,)
        else:
            dims = tuple(range(2, 2 + self.rank))
        if self.mode == "avg":
            return inputs.mean(dim=dims, keepdim=self.keepdims)
        return inputs.amax(dim=dims, keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over all steps of a sequence: (N, steps, C) -> (N, C). With a mask (from
    ``Embedding(mask_zero=True)`` or ``Masking``) the mean is over the real steps only, as in Keras.

    >>> import torch
    >>> GlobalAveragePooling1D()(torch.ones(2, 5, 3)).shape
    torch.Size([2, 3])
    >>> GlobalAveragePooling1D()(torch.tensor([[[1.0], [3.0], [8.0]]]), mask=torch.tensor([[True, True, False]]))
    tensor([[2.]])
    """

    rank, mode = 1, "avg"

    def call(self, inputs, mask=None):
        if mask is None or self.data_format != "channels_last":
            return super().call(inputs)
        weights = mask.to(inputs.dtype).unsqueeze(-1)
        total = (inputs * weights).sum(dim=1, keepdim=self.keepdims)
        return total / weights.sum(dim=1, keepdim=self.keepdims).clamp_min(1.0)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean of each channel over the whole image: (N, C, H, W) -> (N, C). ResNet's head.

    >>> import torch
    >>> GlobalAveragePooling2D(keepdims=True)(torch.ones(2, 8, 7, 7)).shape
    torch.Size([2, 8, 1, 1])
    """

    rank, mode = 2, "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean of each channel over a whole volume.

    >>> import torch
    >>> GlobalAveragePooling3D()(torch.ones(2, 8, 3, 3, 3)).shape
    torch.Size([2, 8])
    """

    rank, mode = 3, "avg"


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over all steps of a sequence: (N, steps, C) -> (N, C).

    >>> import torch
    >>> GlobalMaxPooling1D()(torch.arange(6.0).reshape(1, 3, 2)).tolist()
    [[4.0, 5.0]]
    """

    rank, mode = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max of each channel over the whole image: (N, C, H, W) -> (N, C).

    >>> import torch
    >>> GlobalMaxPooling2D()(torch.arange(8.0).reshape(1, 2, 2, 2)).tolist()
    [[3.0, 7.0]]
    """

    rank, mode = 2, "max"


class GlobalMaxPooling3D(_GlobalPooling):
    """Max of each channel over a whole volume.

    >>> import torch
    >>> GlobalMaxPooling3D()(torch.zeros(1, 4, 2, 2, 2)).shape
    torch.Size([1, 4])
    """

    rank, mode = 3, "max"


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
           "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPool1D", "MaxPool2D",
           "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
           "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D"]
