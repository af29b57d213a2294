"""Xception (Chollet, 2017) exactly as Keras builds it, with Keras' layer names (``block1_conv1``,
``block2_sepconv1_bn``...). The four strided shortcut projections are ``shortcut_1..4`` (Keras
leaves them auto-named ``conv2d_N``; they are matched by creation order when loading ``.h5``).

>>> Xception(weights=None).count_params()
22910480
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import keras_weights, register_model
from glassnet.applications.weights import build_application
from glassnet.layers.convolutional import Conv2D, SeparableConv2D
from glassnet.layers.normalization import BatchNormalization
from glassnet.layers.pooling import MaxPooling2D

# entry-flow blocks 2-4 and exit block 13: (block, sepconv1 filters, sepconv2 filters, relu before the first)
_DOWN = ((2, 128, 128, False), (3, 256, 256, True), (4, 728, 728, True), (13, 728, 1024, True))


class XceptionModel(ImageClassifier):
    """Xception: entry flow, 8 middle-flow blocks of three separable convs, exit flow."""

    first_conv, classifier_name, build_size = "block1_conv1", "predictions", 71
    num_features = 2048

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str | None = None, **kwargs):
        super().__init__(name=name or "xception", **kwargs)
        self.block1_conv1 = Conv2D(32, 3, strides=2, use_bias=False)
        self.block1_conv1_bn = BatchNormalization()
        self.block1_conv2 = Conv2D(64, 3, use_bias=False)
        self.block1_conv2_bn = BatchNormalization()
        for k, (block, f1, f2, _) in enumerate(_DOWN, start=1):
            setattr(self, f"shortcut_{k}", Conv2D(f2, 1, strides=2, padding="same", use_bias=False))
            setattr(self, f"shortcut_{k}_bn", BatchNormalization())
            for j, filters in ((1, f1), (2, f2)):
                setattr(self, f"block{block}_sepconv{j}", SeparableConv2D(filters, 3, padding="same", use_bias=False))
                setattr(self, f"block{block}_sepconv{j}_bn", BatchNormalization())
            setattr(self, f"block{block}_pool", MaxPooling2D(3, strides=2, padding="same"))
            if block == 4:
                for middle in range(5, 13):
                    for j in (1, 2, 3):
                        setattr(self, f"block{middle}_sepconv{j}", SeparableConv2D(728, 3, padding="same",
                                                                                  use_bias=False))
                        setattr(self, f"block{middle}_sepconv{j}_bn", BatchNormalization())
        self.block14_sepconv1 = SeparableConv2D(1536, 3, padding="same", use_bias=False)
        self.block14_sepconv1_bn = BatchNormalization()
        self.block14_sepconv2 = SeparableConv2D(2048, 3, padding="same", use_bias=False)
        self.block14_sepconv2_bn = BatchNormalization()
        self._init_head(include_top, pooling, classes, classifier_activation)
        self._build_weights()

    def _layer(self, name: str):
        return getattr(self, name)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.block1_conv1_bn(self.block1_conv1(x)))
        x = F.relu(self.block1_conv2_bn(self.block1_conv2(x)))
        for k, (block, _, _, relu_first) in enumerate(_DOWN, start=1):
            shortcut = self._layer(f"shortcut_{k}_bn")(self._layer(f"shortcut_{k}")(x))
            if relu_first:
                x = F.relu(x)
            x = self._layer(f"block{block}_sepconv1_bn")(self._layer(f"block{block}_sepconv1")(x))
            x = F.relu(x)
            x = self._layer(f"block{block}_sepconv2_bn")(self._layer(f"block{block}_sepconv2")(x))
            x = self._layer(f"block{block}_pool")(x) + shortcut
            if block == 4:
                for middle in range(5, 13):
                    residual = x
                    for j in (1, 2, 3):
                        x = F.relu(x)
                        x = self._layer(f"block{middle}_sepconv{j}_bn")(self._layer(f"block{middle}_sepconv{j}")(x))
                    x = x + residual
        x = F.relu(self.block14_sepconv1_bn(self.block14_sepconv1(x)))
        return F.relu(self.block14_sepconv2_bn(self.block14_sepconv2(x)))

    def keras_names(self) -> dict[str, str]:
        """The shortcut projections carry Keras' automatic names (matched by order); the rest by name."""
        return {f"shortcut_{k}{s}": f"__auto_shortcut_{k}{s}" for k in range(1, 5) for s in ("", "_bn")}


@register_model(family="xception", default_size=299, min_size=71, preprocess="tf", params=22_910_480, gflops=16.71,
                top1=0.790, top5=0.945, accuracy_source="Keras applications table", test_size=71,
                weights=keras_weights("xception", ("xception_weights_tf_dim_ordering_tf_kernels.h5",
                                                   "0a58e3b7378bc2990ea3b43d5981f1f6"),
                                      ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                       "b0042744bf5b25fce3cb969f33bebb97"), "tf"),
                paper="Chollet 2017, Xception: deep learning with depthwise separable convolutions")
def Xception(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
             classes: int = 1000, classifier_activation: Any = "softmax", name: str = "xception") -> XceptionModel:
    """Xception with Keras' signature (299x299x3 input by default, at least 71x71).

    >>> Xception(weights=None, include_top=False).count_params()
    20861480
    """
    return build_application("Xception", XceptionModel, weights, include_top, classes, input_shape, pooling=pooling,
                             classifier_activation=classifier_activation, name=name)


# keras.applications.xception: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(Xception.info.preprocess, "Xception")

__all__ = ["Xception", "XceptionModel", "preprocess_input", "decode_predictions"]
