"""He et al.'s CIFAR ResNets (ResNet-20/32/56, section 4.2 of the paper): a 3x3 conv with 16 filters,
three stages of ``n`` basic blocks with 16, 32, 64 filters, global average pooling and a 10-way
dense layer; shortcuts are parameter-free (option A: stride-2 subsampling and zero-padded channels).
Parameters (without BN statistics): 0.27M, 0.46M, 0.85M as in the paper's Table 6.

>>> ResNet20().count_params() - 2 * (16 * 7 + 32 * 6 + 64 * 6)  # minus BN moving mean/var
269722
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.applications._blocks import TorchConv2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.registry import register_model
from glassnet.applications.weights import build_application
from glassnet.layers.base import Layer
from glassnet.layers.normalization import BatchNormalization


class CifarBlock(Layer):
    """Two 3x3 convs; the shortcut subsamples and zero-pads channels when the shape changes (option A)."""

    def __init__(self, filters: int, stride: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.stride = filters, stride
        self.conv1 = TorchConv2D(filters, 3, strides=stride, pad=1, use_bias=False)
        self.bn1 = BatchNormalization(epsilon=1e-5, momentum=0.9)
        self.conv2 = TorchConv2D(filters, 3, pad=1, use_bias=False)
        self.bn2 = BatchNormalization(epsilon=1e-5, momentum=0.9)

    def call(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x
        if self.stride != 1 or x.shape[1] != self.filters:
            shortcut = x[:, :, ::self.stride, ::self.stride]
            extra = self.filters - x.shape[1]
            shortcut = F.pad(shortcut, (0, 0, 0, 0, extra // 2, extra - extra // 2))
        return F.relu(out + shortcut)


class CifarResNetModel(ImageClassifier):
    """ResNet-(6n+2) for 32x32 images."""

    first_conv, classifier_name, build_size = "conv1", "fc", 32
    num_features = 64

    def __init__(self, depth: int = 20, include_top: bool = True, pooling: str | None = None, classes: int = 10,
                 classifier_activation: Any = "softmax", name: str | None = None, **kwargs):
        super().__init__(name=name or f"resnet{depth}", **kwargs)
        if (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110...), got {depth}.")
        n = (depth - 2) // 6
        self.conv1 = TorchConv2D(16, 3, pad=1, use_bias=False)
        self.bn1 = BatchNormalization(epsilon=1e-5, momentum=0.9)
        for stage, filters in enumerate((16, 32, 64), start=1):
            blocks = [CifarBlock(filters, 1 if stage == 1 or i else 2) for i in range(n)]
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self._init_head(include_top, pooling, classes, classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))


def _cifar(depth: int, weights, include_top, input_shape, pooling, classes, classifier_activation, name):
    return build_application(f"ResNet{depth}", CifarResNetModel, weights, include_top, classes, input_shape,
                             depth=depth, pooling=pooling, classifier_activation=classifier_activation, name=name)


_PAPER = "He et al. 2015, Deep residual learning (CIFAR-10 networks, section 4.2)"


@register_model(family="resnet_cifar", default_size=32, preprocess="none", params=271_098, gflops=0.0811,
                test_size=32, paper=_PAPER)
def ResNet20(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
             classes: int = 10, classifier_activation: Any = "softmax", name: str = "resnet20") -> CifarResNetModel:
    """ResNet-20 for CIFAR (n=3): 0.27M weights.

    >>> ResNet20().count_params()
    271098
    """
    return _cifar(20, weights, include_top, input_shape, pooling, classes, classifier_activation, name)


@register_model(family="resnet_cifar", default_size=32, preprocess="none", params=466_426, gflops=0.1377,
                test_size=32, paper=_PAPER)
def ResNet32(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
             classes: int = 10, classifier_activation: Any = "softmax", name: str = "resnet32") -> CifarResNetModel:
    """ResNet-32 for CIFAR (n=5): 0.46M weights."""
    return _cifar(32, weights, include_top, input_shape, pooling, classes, classifier_activation, name)


@register_model(family="resnet_cifar", default_size=32, preprocess="none", params=857_082, gflops=0.251,
                test_size=32, paper=_PAPER)
def ResNet56(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
             classes: int = 10, classifier_activation: Any = "softmax", name: str = "resnet56") -> CifarResNetModel:
    """ResNet-56 for CIFAR (n=9): 0.85M weights."""
    return _cifar(56, weights, include_top, input_shape, pooling, classes, classifier_activation, name)
