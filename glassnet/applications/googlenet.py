"""GoogLeNet / Inception v1 (Szegedy et al., 2014) with torchvision's names and its two auxiliary
classifiers (``aux1`` on inception4a, ``aux2`` on inception4d): about 13.0M weights with them,
6.6M without (``aux_logits=False``). Convolutions carry batch norm as in torchvision's port.

During training the auxiliary outputs are kept in ``model.aux_outputs`` and ``compute_loss``
adds 0.3 x their losses, as in the paper; in inference only the main output is returned.

>>> GoogLeNet(aux_logits=False).count_params() < GoogLeNet().count_params()
True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from glassnet.applications._blocks import (AdaptiveAvgPool2D, BasicConv2D, TorchPooling2D,
                                          google_input_transform)
from glassnet.applications.base import ImageClassifier, build_submodule
from glassnet.applications.registry import register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Dropout, Flatten
from glassnet.layers.base import Layer


def _conv(filters: int, kernel: int, **kwargs) -> BasicConv2D:
    return BasicConv2D(filters, kernel, bn_epsilon=1e-3, **kwargs)


class Inception(Layer):
    """Four branches: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 (torchvision's '5x5' branch) | 3x3 max-pool -> 1x1."""

    def __init__(self, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int, **kwargs):
        super().__init__(**kwargs)
        self.branch1 = _conv(ch1x1, 1)
        self.branch2 = nn.Sequential(_conv(ch3x3red, 1), _conv(ch3x3, 3, pad=1))
        self.branch3 = nn.Sequential(_conv(ch5x5red, 1), _conv(ch5x5, 3, pad=1))
        self.branch4 = nn.Sequential(TorchPooling2D("max", 3, 1, pad=1, ceil_mode=True), _conv(pool_proj, 1))

    def call(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNetAux(Layer):
    """Auxiliary classifier: 4x4 average pool, 1x1 conv (128), dense 1024, dropout 0.7, dense classes."""

    def __init__(self, classes: int, activation: Any = "softmax", **kwargs):
        super().__init__(**kwargs)
        self.conv = _conv(128, 1)
        self.pool, self.flatten = AdaptiveAvgPool2D(4), Flatten(data_format="channels_first")
        self.fc1 = Dense(1024, activation="relu")
        self.dropout = Dropout(0.7)
        self.fc2 = Dense(classes, activation=activation)

    def call(self, x):
        return self.fc2(self.dropout(self.fc1(self.flatten(self.conv(self.pool(x))))))


class GoogLeNetModel(ImageClassifier):
    """GoogLeNet; ``transform_input=True`` for torchvision's Google-trained weights."""

    first_conv, classifier_name, build_size = "conv1.conv", "fc", 64
    num_features = 1024

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", aux_logits: bool = True, transform_input: bool = False,
                 dropout: float = 0.2, name: str | None = None, **kwargs):
        super().__init__(name=name or "googlenet", **kwargs)
        self.transform_input = transform_input
        self.conv1 = _conv(64, 7, strides=2, pad=3)
        self.maxpool1 = TorchPooling2D("max", 3, 2, ceil_mode=True)
        self.conv2 = _conv(64, 1)
        self.conv3 = _conv(192, 3, pad=1)
        self.maxpool2 = TorchPooling2D("max", 3, 2, ceil_mode=True)
        self.inception3a = Inception(64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(128, 128, 192, 32, 96, 64)
        self.maxpool3 = TorchPooling2D("max", 3, 2, ceil_mode=True)
        self.inception4a = Inception(192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(256, 160, 320, 32, 128, 128)
        self.maxpool4 = TorchPooling2D("max", 2, 2, ceil_mode=True)
        self.inception5a = Inception(256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(384, 192, 384, 48, 128, 128)
        with_aux = aux_logits and include_top
        self.aux1 = GoogLeNetAux(classes, classifier_activation) if with_aux else None
        self.aux2 = GoogLeNetAux(classes, classifier_activation) if with_aux else None
        self._init_head(include_top, pooling, classes, classifier_activation)
        self.dropout = Dropout(dropout)
        self.aux_outputs: tuple = ()
        self._build_weights()
        if with_aux:
            build_submodule(self.aux1, (1, 512, 14, 14))
            build_submodule(self.aux2, (1, 528, 14, 14))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if self.transform_input:  # torchvision's Google weights expect [-1, 1] inputs
            x = google_input_transform(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux = self.aux1 is not None and self.training
        aux1 = self.aux1(x) if aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if aux else None
        self.aux_outputs = (aux1, aux2) if aux else ()
        x = self.maxpool4(self.inception4e(x))
        return self.inception5b(self.inception5a(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.global_pool is not None:
            x = self.global_pool(x)
        if pre_logits or not self.include_top:
            return x
        return self.fc(self.dropout(x))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None) -> torch.Tensor:
        """The main loss plus 0.3 x each auxiliary classifier's loss while training (the paper's recipe)."""
        loss = super().compute_loss(x, y, y_pred, sample_weight)
        for aux in self.aux_outputs:
            loss = loss + 0.3 * super().compute_loss(x, y, aux, sample_weight)
        return loss

    def droppable_prefixes(self) -> tuple[str, ...]:
        return (() if self.include_top else ("fc.",)) + (("aux1.", "aux2.") if self.aux1 is None else ())


@register_model(family="googlenet", default_size=224, preprocess="torch", params=13_019_960, gflops=2.997,
                top1=0.69778, top5=0.89530, accuracy_source="torchvision",
                weights=(torchvision_weights("googlenet-1378be20.pth", 0.69778, 0.89530, transform_input=True),),
                paper="Szegedy et al. 2014, Going deeper with convolutions")
def GoogLeNet(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
              classes: int = 1000, classifier_activation: Any = "softmax", name: str = "googlenet",
              aux_logits: bool = True, transform_input: bool = False) -> GoogLeNetModel:
    """GoogLeNet with its two auxiliary classifiers (``aux_logits=False`` drops them).

    >>> GoogLeNet(aux_logits=False, include_top=False).count_params() > 5_000_000
    True
    """
    return build_application("GoogLeNet", GoogLeNetModel, weights, include_top, classes, input_shape,
                             pooling=pooling, classifier_activation=classifier_activation, name=name,
                             aux_logits=aux_logits, transform_input=transform_input)
