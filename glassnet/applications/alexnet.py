"""AlexNet as in the paper (Krizhevsky, Sutskever & Hinton, 2012): 96-256-384-384-256 filters,
the two-GPU grouped convolutions (groups=2 on conv2, conv4, conv5), local response normalization,
overlapping max-pooling and two 4,096-unit dense layers: 60,965,224 parameters on 227x227x3 images.

Containers follow torchvision's layout (``features``, ``avgpool``, ``classifier``; the classifier's
Dense layers at ``classifier.1/.4/.6``); the feature stack has the paper's LRN layers, so its
indices differ from torchvision's single-GPU variant.

>>> AlexNet().count_params()
60965224
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from glassnet.applications._blocks import AdaptiveAvgPool2D, BoundedReLU, LocalResponseNormalization, TorchConv2D, \
    TorchPooling2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.registry import register_model
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Dropout, Flatten


class AlexNetModel(ImageClassifier):
    """The paper's AlexNet (grouped convolutions, LRN) with torchvision-style containers."""

    first_conv, classifier_name, build_size = "features.0", "classifier.6", 227
    num_features = 4096

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", dropout: float = 0.5, name: str | None = None, **kwargs):
        super().__init__(name=name or "alexnet", **kwargs)

        def pool():
            return TorchPooling2D("max", 3, 2)

        self.features = nn.Sequential(
            TorchConv2D(96, 11, strides=4), BoundedReLU(), LocalResponseNormalization(), pool(),
            TorchConv2D(256, 5, pad=2, groups=2), BoundedReLU(), LocalResponseNormalization(), pool(),
            TorchConv2D(384, 3, pad=1), BoundedReLU(),
            TorchConv2D(384, 3, pad=1, groups=2), BoundedReLU(),
            TorchConv2D(256, 3, pad=1, groups=2), BoundedReLU(), pool())
        self._init_head(False, pooling, classes, None)
        self.include_top = bool(include_top)
        if include_top:
            self.avgpool = AdaptiveAvgPool2D(6)
            self.flatten = Flatten(data_format="channels_first")
            self.classifier = nn.Sequential(
                Dropout(dropout), Dense(4096), BoundedReLU(), Dropout(dropout), Dense(4096), BoundedReLU(),
                Dense(classes, activation=classifier_activation))
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not self.include_top:
            return self.global_pool(x) if self.global_pool is not None else x
        x = self.flatten(self.avgpool(x))
        x = self.classifier[:6](x)
        return x if pre_logits else self.classifier[6](x)


@register_model(family="alexnet", default_size=227, min_size=63, preprocess="torch", params=60_965_224,
                gflops=1.449, top1=0.593, top5=0.818, accuracy_source="paper (1 CNN, ILSVRC-2012 val)",
                test_size=96, paper="Krizhevsky et al. 2012, ImageNet classification with deep CNNs")
def AlexNet(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
            classes: int = 1000, classifier_activation: Any = "softmax", name: str = "alexnet") -> AlexNetModel:
    """The paper's AlexNet (two-GPU grouped convolutions), 227x227x3 input.

    >>> AlexNet(classes=10).classifier[6].weight.shape
    torch.Size([10, 4096])
    """
    return build_application("AlexNet", AlexNetModel, weights, include_top, classes, input_shape, pooling=pooling,
                             classifier_activation=classifier_activation, name=name)
