"""LeNet-5 (LeCun et al., 1998), the course's version: 32x32x1 input, tanh, average-pool subsampling.

conv 6@5x5 -> avg-pool -> conv 16@5x5 -> avg-pool -> conv 120@5x5 -> dense 84 -> dense 10: 61,706 parameters.

>>> LeNet5().count_params()
61706
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet.applications.base import ImageClassifier
from glassnet.applications.registry import register_model
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Flatten
from glassnet.layers.convolutional import Conv2D
from glassnet.layers.pooling import AveragePooling2D


class LeNetModel(ImageClassifier):
    """LeNet-5 as a subclassed model: ``conv1..conv3`` body, ``fc1``/``fc2`` head."""

    first_conv, classifier_name, build_size, input_channels = "conv1", "fc2", 32, 1
    num_features = 120

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 10,
                 classifier_activation: Any = "softmax", name: str | None = None, **kwargs):
        super().__init__(name=name or "lenet5", **kwargs)
        self.conv1 = Conv2D(6, 5, activation="tanh")
        self.pool1 = AveragePooling2D(2)
        self.conv2 = Conv2D(16, 5, activation="tanh")
        self.pool2 = AveragePooling2D(2)
        self.conv3 = Conv2D(120, 5, activation="tanh")
        self._init_head(False, pooling, classes, None)
        self.include_top = bool(include_top)
        if include_top:
            self.flatten = Flatten(data_format="channels_first")
            self.fc1 = Dense(84, activation="tanh")
            self.fc2 = Dense(classes, activation=classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.pool2(self.conv2(self.pool1(self.conv1(x)))))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not self.include_top:
            return self.global_pool(x) if self.global_pool is not None else x
        x = self.fc1(self.flatten(x))
        return x if pre_logits else self.fc2(x)


@register_model(family="lenet", default_size=32, min_size=32, preprocess="none", params=61_706, gflops=0.000833,
                input_channels=1, test_size=32, paper="LeCun et al. 1998, Gradient-based learning applied to "
                "document recognition")
def LeNet5(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
           classes: int = 10, classifier_activation: Any = "softmax", name: str = "lenet5") -> LeNetModel:
    """LeNet-5 for 32x32 grey images (pad MNIST's 28x28 by 2 pixels).

    >>> LeNet5(classes=10).count_params()
    61706
    """
    return build_application("LeNet5", LeNetModel, weights, include_top, classes, input_shape, pooling=pooling,
                             classifier_activation=classifier_activation, name=name)
