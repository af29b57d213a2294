"""Inception v3 (Szegedy et al., 2015) with torchvision's names (``Conv2d_1a_3x3``, ``Mixed_5b.branch1x1``...).

One implementation for both variants:

* Keras (default): batch norm without gamma (``bn_scale=False``), no auxiliary classifier,
  'same' average pools that ignore padding — 23,851,784 parameters as in Keras' table;
* torchvision (``weights='torchvision'``): ``bn_scale=True``, ``aux_logits=True``,
  ``transform_input=True`` — its state dict loads with ``strict=True``.

>>> InceptionV3(weights=None).count_params()
23851784
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet.applications._blocks import AdaptiveAvgPool2D, BasicConv2D, google_input_transform
from glassnet.applications.base import ImageClassifier, build_submodule
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import keras_weights, register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Dropout, Flatten
from glassnet.layers.base import Layer


class _Mixed(Layer):
    """Shared helpers: a conv-bn-relu factory with the block's batch-norm options, and the branch pool."""

    def __init__(self, bn_scale: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.bn_scale = bn_scale

    def conv(self, filters: int, kernel: Any, strides: int = 1, pad: Any = 0) -> BasicConv2D:
        return BasicConv2D(filters, kernel, strides=strides, pad=pad, bn_scale=self.bn_scale)

    def avg_pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 3, 1, 1, count_include_pad=self.bn_scale)  # torchvision counts the padding


class InceptionA(_Mixed):
    def __init__(self, pool_features: int, bn_scale: bool = False, **kwargs):
        super().__init__(bn_scale, **kwargs)
        self.branch1x1 = self.conv(64, 1)
        self.branch5x5_1, self.branch5x5_2 = self.conv(48, 1), self.conv(64, 5, pad=2)
        self.branch3x3dbl_1, self.branch3x3dbl_2 = self.conv(64, 1), self.conv(96, 3, pad=1)
        self.branch3x3dbl_3 = self.conv(96, 3, pad=1)
        self.branch_pool = self.conv(pool_features, 1)

    def call(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(self.avg_pool(x))], 1)


class InceptionB(_Mixed):
    def __init__(self, bn_scale: bool = False, **kwargs):
        super().__init__(bn_scale, **kwargs)
        self.branch3x3 = self.conv(384, 3, strides=2)
        self.branch3x3dbl_1, self.branch3x3dbl_2 = self.conv(64, 1), self.conv(96, 3, pad=1)
        self.branch3x3dbl_3 = self.conv(96, 3, strides=2)

    def call(self, x):
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, 2)], 1)


class InceptionC(_Mixed):
    def __init__(self, channels_7x7: int, bn_scale: bool = False, **kwargs):
        super().__init__(bn_scale, **kwargs)
        c7 = channels_7x7
        self.branch1x1 = self.conv(192, 1)
        self.branch7x7_1, self.branch7x7_2 = self.conv(c7, 1), self.conv(c7, (1, 7), pad=(0, 3))
        self.branch7x7_3 = self.conv(192, (7, 1), pad=(3, 0))
        self.branch7x7dbl_1, self.branch7x7dbl_2 = self.conv(c7, 1), self.conv(c7, (7, 1), pad=(3, 0))
        self.branch7x7dbl_3, self.branch7x7dbl_4 = self.conv(c7, (1, 7), pad=(0, 3)), self.conv(c7, (7, 1), pad=(3, 0))
        self.branch7x7dbl_5 = self.conv(192, (1, 7), pad=(0, 3))
        self.branch_pool = self.conv(192, 1)

    def call(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = self.branch7x7dbl_2(self.branch7x7dbl_1(x))
        d = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(d)))
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(self.avg_pool(x))], 1)


class InceptionD(_Mixed):
    def __init__(self, bn_scale: bool = False, **kwargs):
        super().__init__(bn_scale, **kwargs)
        self.branch3x3_1, self.branch3x3_2 = self.conv(192, 1), self.conv(320, 3, strides=2)
        self.branch7x7x3_1, self.branch7x7x3_2 = self.conv(192, 1), self.conv(192, (1, 7), pad=(0, 3))
        self.branch7x7x3_3, self.branch7x7x3_4 = self.conv(192, (7, 1), pad=(3, 0)), self.conv(192, 3, strides=2)

    def call(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, 2)], 1)


class InceptionE(_Mixed):
    def __init__(self, bn_scale: bool = False, **kwargs):
        super().__init__(bn_scale, **kwargs)
        self.branch1x1 = self.conv(320, 1)
        self.branch3x3_1 = self.conv(384, 1)
        self.branch3x3_2a, self.branch3x3_2b = self.conv(384, (1, 3), pad=(0, 1)), self.conv(384, (3, 1), pad=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = self.conv(448, 1), self.conv(384, 3, pad=1)
        self.branch3x3dbl_3a = self.conv(384, (1, 3), pad=(0, 1))
        self.branch3x3dbl_3b = self.conv(384, (3, 1), pad=(1, 0))
        self.branch_pool = self.conv(192, 1)

    def call(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(self.avg_pool(x))], 1)


class InceptionV3Aux(_Mixed):
    """The auxiliary classifier on Mixed_6e (training only)."""

    def __init__(self, classes: int, activation: Any = "softmax", bn_scale: bool = True, **kwargs):
        super().__init__(bn_scale, **kwargs)
        self.conv0, self.conv1 = self.conv(128, 1), self.conv(768, 5)
        self.pool, self.flatten = AdaptiveAvgPool2D(1), Flatten(data_format="channels_first")
        self.fc = Dense(classes, activation=activation)

    def call(self, x):
        x = self.conv1(self.conv0(F.avg_pool2d(x, 5, 3)))
        return self.fc(self.flatten(self.pool(x)))


class InceptionV3Model(ImageClassifier):
    """Inception v3; see the module docstring for the Keras/torchvision switches."""

    first_conv, classifier_name, build_size = "Conv2d_1a_3x3.conv", "fc", 75
    num_features = 2048

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", aux_logits: bool = False, bn_scale: bool = False,
                 transform_input: bool = False, dropout: float = 0.5, name: str | None = None, **kwargs):
        super().__init__(name=name or "inception_v3", **kwargs)
        s = bn_scale
        self.transform_input = transform_input
        self.Conv2d_1a_3x3 = BasicConv2D(32, 3, strides=2, bn_scale=s)
        self.Conv2d_2a_3x3 = BasicConv2D(32, 3, bn_scale=s)
        self.Conv2d_2b_3x3 = BasicConv2D(64, 3, pad=1, bn_scale=s)
        self.Conv2d_3b_1x1 = BasicConv2D(80, 1, bn_scale=s)
        self.Conv2d_4a_3x3 = BasicConv2D(192, 3, bn_scale=s)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = InceptionA(32, s), InceptionA(64, s), InceptionA(64, s)
        self.Mixed_6a = InceptionB(s)
        self.Mixed_6b, self.Mixed_6c = InceptionC(128, s), InceptionC(160, s)
        self.Mixed_6d, self.Mixed_6e = InceptionC(160, s), InceptionC(192, s)
        self.AuxLogits = InceptionV3Aux(classes, classifier_activation, s) if aux_logits and include_top else None
        self.Mixed_7a, self.Mixed_7b, self.Mixed_7c = InceptionD(s), InceptionE(s), InceptionE(s)
        self._init_head(include_top, pooling, classes, classifier_activation)
        self.dropout = Dropout(dropout)
        self.aux_output: torch.Tensor | None = None
        self._build_weights()
        if self.AuxLogits is not None:  # it needs Mixed_6e's 17x17 map: build it on one directly
            build_submodule(self.AuxLogits, (1, 768, 17, 17))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if self.transform_input:  # torchvision's Google weights expect [-1, 1] inputs
            x = google_input_transform(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        x = self.Mixed_6a(self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x))))
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))
        self.aux_output = self.AuxLogits(x) if self.AuxLogits is not None and self.training else None
        return self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if self.global_pool is not None:
            x = self.global_pool(x)
        if pre_logits or not self.include_top:
            return x
        return self.fc(self.dropout(x))

    def droppable_prefixes(self) -> tuple[str, ...]:
        return (() if self.include_top else ("fc.",)) + (("AuxLogits.",) if self.AuxLogits is None else ())


@register_model(family="inception", default_size=299, min_size=75, preprocess="tf", params=23_851_784,
                gflops=11.43, top1=0.788, top5=0.944, accuracy_source="Keras applications table", test_size=75,
                weights=keras_weights("inception_v3", ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                                                       "9a0d58056eeedaa3f26cb7ebd46da564"),
                                      ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                       "bcbd6486424b2319ff4ef7d526e38f63"), "tf")
                + (torchvision_weights("inception_v3_google-0cc3c7bd.pth", 0.77294, 0.93450, bn_scale=True,
                                       aux_logits=True, transform_input=True),),
                paper="Szegedy et al. 2015, Rethinking the Inception architecture")
def InceptionV3(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None,
                pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                name: str = "inception_v3", aux_logits: bool = False, bn_scale: bool = False,
                transform_input: bool = False) -> InceptionV3Model:
    """Inception v3 with Keras' signature (299x299x3 input; at least 75x75).

    >>> InceptionV3(weights=None, include_top=False).count_params()
    21802784
    """
    return build_application("InceptionV3", InceptionV3Model, weights, include_top, classes, input_shape,
                             pooling=pooling, classifier_activation=classifier_activation, name=name,
                             aux_logits=aux_logits, bn_scale=bn_scale, transform_input=transform_input)


# keras.applications.inception_v3: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(InceptionV3.info.preprocess, "InceptionV3")

__all__ = ["InceptionV3", "InceptionV3Model", "InceptionV3Aux", "preprocess_input", "decode_predictions"]
