"""MobileNetV2 (Sandler et al., 2018) with torchvision's layout: ``features.0`` ... ``features.18``,
inverted residual blocks at ``features.N.conv.M``, and ``classifier.1``. Its parameter count with
batch-norm statistics equals Keras' (3,538,984); torchvision's weights load with ``strict=True``
(``bn_epsilon=1e-5``, set automatically by ``weights='torchvision'``; Keras uses 1e-3).

``weights='imagenet'`` (the default, as in Keras) is that torchvision file, since Keras' own file is
for Keras' layer layout: so this module's ``preprocess_input`` uses the 'torch' mode the weights
were trained with, where ``keras.applications.mobilenet_v2`` uses 'tf'.

>>> MobileNetV2(weights=None).count_params()
3538984
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from glassnet.applications._blocks import BoundedReLU, TorchConv2D, make_divisible
from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Dropout
from glassnet.layers.base import Layer
from glassnet.layers.normalization import BatchNormalization

# expansion t, channels c, repeats n, first stride s (the paper's Table 2)
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
            (6, 320, 1, 1))


def conv_bn_relu6(filters: int, kernel: int, stride: int = 1, groups: int = 1, bn_epsilon: float = 1e-3
                  ) -> nn.Sequential:
    """torchvision's ``Conv2dNormActivation``: conv (no bias), batch norm, ReLU6 at indices 0, 1, 2."""
    return nn.Sequential(TorchConv2D(filters, kernel, strides=stride, pad=(kernel - 1) // 2, groups=groups,
                                     use_bias=False), BatchNormalization(epsilon=bn_epsilon), BoundedReLU(6.0))


class InvertedResidual(Layer):
    """1x1 expand (ReLU6) -> 3x3 depthwise (ReLU6) -> 1x1 linear projection, residual when shapes allow."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int,
                 bn_epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        hidden = int(round(in_channels * expand_ratio))
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_bn_relu6(hidden, 1, bn_epsilon=bn_epsilon))
        layers += [conv_bn_relu6(hidden, 3, stride, groups=hidden, bn_epsilon=bn_epsilon),
                   TorchConv2D(out_channels, 1, use_bias=False), BatchNormalization(epsilon=bn_epsilon)]
        self.conv = nn.Sequential(*layers)

    def call(self, x):
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2Model(ImageClassifier):
    """MobileNetV2 with width multiplier ``alpha``."""

    first_conv, classifier_name, build_size = "features.0.0", "classifier.1", 32

    def __init__(self, alpha: float = 1.0, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", dropout: float = 0.2, bn_epsilon: float = 1e-3,
                 name: str | None = None, **kwargs):
        super().__init__(name=name or ("mobilenetv2_%.2f" % alpha).replace(".", "_"), **kwargs)
        channels = make_divisible(32 * alpha, 8)
        layers: list[nn.Module] = [conv_bn_relu6(channels, 3, 2, bn_epsilon=bn_epsilon)]
        for t, c, n, s in SETTINGS:
            out = make_divisible(c * alpha, 8)
            for i in range(n):
                layers.append(InvertedResidual(channels, out, s if i == 0 else 1, t, bn_epsilon))
                channels = out
        self.num_features = make_divisible(1280 * max(1.0, alpha), 8)
        layers.append(conv_bn_relu6(self.num_features, 1, bn_epsilon=bn_epsilon))
        self.features = nn.Sequential(*layers)
        self._init_head(False, pooling, classes, None)
        self.include_top = bool(include_top)
        if include_top:
            from glassnet.layers.pooling import GlobalAveragePooling2D
            self.global_pool = GlobalAveragePooling2D()
            self.classifier = nn.Sequential(Dropout(dropout), Dense(classes, activation=classifier_activation))
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.global_pool is not None:
            x = self.global_pool(x)
        if pre_logits or not self.include_top:
            return x
        return self.classifier(x)

    def droppable_prefixes(self) -> tuple[str, ...]:
        return () if self.include_top else ("classifier.",)


@register_model(family="mobilenet_v2", default_size=224, preprocess="torch", params=3_538_984, gflops=0.6015,
                top1=0.713, top5=0.901, accuracy_source="Keras applications table",
                weights=tuple(torchvision_weights("mobilenet_v2-b0353104.pth", 0.71878, 0.90286, name=name,
                                                  bn_epsilon=1e-5) for name in ("imagenet", "torchvision")),
                paper="Sandler et al. 2018, MobileNetV2: inverted residuals and linear bottlenecks")
def MobileNetV2(input_shape: Any = None, alpha: float = 1.0, include_top: bool = True, weights: Any = "imagenet",
                pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                name: str | None = None, bn_epsilon: float = 1e-3) -> MobileNetV2Model:
    """MobileNetV2 with Keras' signature.

    >>> MobileNetV2(weights=None, alpha=0.35, include_top=False).count_params() > 0
    True
    """
    return build_application("MobileNetV2", MobileNetV2Model, weights, include_top, classes, input_shape, alpha=alpha,
                             pooling=pooling, classifier_activation=classifier_activation, name=name,
                             bn_epsilon=bn_epsilon)


# keras.applications.mobilenet_v2: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(MobileNetV2.info.preprocess, "MobileNetV2")

__all__ = ["MobileNetV2", "MobileNetV2Model", "preprocess_input", "decode_predictions"]
