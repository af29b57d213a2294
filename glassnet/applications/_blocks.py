"""Small layers the application models need beyond Keras' set, with PyTorch semantics.

torchvision's networks pad symmetrically (``padding=1`` on a stride-2 conv)
where Keras' ``'same'`` pads only at the bottom/right; their pretrained weights
give the published accuracy only with their own padding. These layers carry
exactly that, so one model definition serves both weight sources.

>>> import torch
>>> TorchConv2D(8, 3, strides=2, pad=1)(torch.zeros(1, 3, 32, 32)).shape
torch.Size([1, 8, 16, 16])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet.layers._utils import normalize_tuple
from glassnet.layers.base import Layer
from glassnet.layers.convolutional import Conv2D


class TorchConv2D(Conv2D):
    """``Conv2D`` with PyTorch's symmetric integer padding (``pad`` cells on every side).

    >>> import torch
    >>> TorchConv2D(4, 7, strides=2, pad=3, use_bias=False)(torch.zeros(1, 3, 224, 224)).shape
    torch.Size([1, 4, 112, 112])
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, pad: Any = 0, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding="valid", **kwargs)
        self.pad = (int(pad), int(pad)) if isinstance(pad, int) else tuple(int(p) for p in pad)

    def call(self, inputs):
        y = F.conv2d(inputs, self.weight, self.bias, self.strides, self.pad, self.dilation_rate, self.groups)
        return self._activate(y)


class TorchPooling2D(Layer):
    """Max or average pooling with PyTorch's arguments (symmetric ``pad``, ``ceil_mode``).

    >>> import torch
    >>> TorchPooling2D('max', 3, 2, pad=1)(torch.zeros(1, 2, 112, 112)).shape
    torch.Size([1, 2, 56, 56])
    """

    def __init__(self, mode: str = "max", pool_size: Any = 2, strides: Any = None, pad: int = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, **kwargs):
        super().__init__(**kwargs)
        if mode not in ("max", "avg"):
            raise ValueError(f"TorchPooling2D(mode={mode!r}): use 'max' or 'avg'.")
        self.mode, self.pad, self.ceil_mode = mode, int(pad), bool(ceil_mode)
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, 2, "strides")
        self.count_include_pad = bool(count_include_pad)

    def call(self, inputs):
        if self.mode == "max":
            return F.max_pool2d(inputs, self.pool_size, self.strides, self.pad, ceil_mode=self.ceil_mode)
        return F.avg_pool2d(inputs, self.pool_size, self.strides, self.pad, ceil_mode=self.ceil_mode,
                            count_include_pad=self.count_include_pad)


class AdaptiveAvgPool2D(Layer):
    """Average-pool any image to a fixed ``output_size`` grid (torchvision's ``AdaptiveAvgPool2d``).

    >>> import torch
    >>> AdaptiveAvgPool2D(7)(torch.zeros(1, 512, 3, 3)).shape
    torch.Size([1, 512, 7, 7])
    """

    def __init__(self, output_size: Any = 1, **kwargs):
        super().__init__(**kwargs)
        self.output_size = normalize_tuple(output_size, 2, "output_size")

    def call(self, inputs):
        return F.adaptive_avg_pool2d(inputs, self.output_size)


class BoundedReLU(Layer):
    """``min(max(x, 0), max_value)``: ReLU, or ReLU6 with ``max_value=6`` (MobileNets).

    >>> import torch
    >>> BoundedReLU(6.0)(torch.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
    """

    def __init__(self, max_value: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else float(max_value)

    def call(self, inputs):
        if self.max_value is None:
            return F.relu(inputs)
        return F.hardtanh(inputs, 0.0, self.max_value)


class LocalResponseNormalization(Layer):
    """AlexNet's local response normalization across ``size`` neighbouring channels (no weights).

    >>> import torch
    >>> LocalResponseNormalization()(torch.ones(1, 8, 2, 2)).shape
    torch.Size([1, 8, 2, 2])
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.k = int(size), float(alpha), float(beta), float(k)

    def call(self, inputs):
        return F.local_response_norm(inputs, self.size, self.alpha, self.beta, self.k)


class Identity(Layer):
    """Pass inputs through unchanged (what a removed classifier becomes).

    >>> import torch
    >>> Identity()(torch.ones(2)).tolist()
    [1.0, 1.0]
    """

    def call(self, inputs):
        return inputs


class BasicConv2D(Layer):
    """Conv (no bias) -> batch norm -> ReLU, with torchvision's names ``conv`` and ``bn``.

    ``bn_scale=False`` drops gamma (Keras' Inception networks); ``activation=False`` skips the ReLU.

    >>> import torch
    >>> BasicConv2D(8, 3, pad=1)(torch.zeros(1, 3, 16, 16)).shape
    torch.Size([1, 8, 16, 16])
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, pad: Any = 0, bn_epsilon: float = 1e-3,
                 bn_scale: bool = True, activation: bool = True, **kwargs):
        super().__init__(**kwargs)
        from glassnet.layers.normalization import BatchNormalization
        self.conv = TorchConv2D(filters, kernel_size, strides=strides, pad=pad, use_bias=False)
        self.bn = BatchNormalization(epsilon=bn_epsilon, scale=bn_scale)
        self.relu = bool(activation)

    def call(self, inputs):
        x = self.bn(self.conv(inputs))
        return F.relu(x) if self.relu else x


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of ``divisor``, never dropping more than 10% (MobileNetV2).

    >>> make_divisible(32 * 0.35), make_divisible(1280 * 1.4)
    (16, 1792)
    """
    min_value = min_value or divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


__all__ = ["TorchConv2D", "TorchPooling2D", "AdaptiveAvgPool2D", "BoundedReLU", "LocalResponseNormalization", "BasicConv2D",
           "Identity", "make_divisible"]


def google_input_transform(x: torch.Tensor) -> torch.Tensor:
    """Re-scale ImageNet-normalised (torch-mode) images to the [-1, 1] range that torchvision's
    Google-trained GoogLeNet and InceptionV3 weights expect (their ``transform_input``).

    >>> [round(v, 3) for v in google_input_transform(torch.zeros(1, 3, 1, 1)).flatten().tolist()]
    [-0.03, -0.088, -0.188]
    """
    mean = x.new_tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = x.new_tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x * std + mean - 0.5) / 0.5
