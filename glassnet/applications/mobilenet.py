"""MobileNet v1 (Howard et al., 2017) exactly as Keras builds it; also ``keras.applications.mobilenet``.

``conv1``/``conv1_bn``, then 13 :class:`MobileNetBlock` s in ``blocks`` (3x3 depthwise ``conv_dw`` +
``conv_dw_bn``, 1x1 ``conv_pw`` + ``conv_pw_bn``), ReLU6 everywhere; strided blocks pad one row/column
at the bottom/right (Keras' ``ZeroPadding2D(((0, 1), (0, 1)))``) so TensorFlow-trained weights give the
same outputs. The head is Keras' 1x1 ``conv_preds`` convolution. Keras ``.h5`` files load by layer
name (``blocks.0.conv_dw`` is Keras' ``conv_dw_1``, see ``keras_names``); ``weights='imagenet'``
picks Keras' file for the ``alpha`` asked for.

>>> MobileNet(weights=None).count_params()
4253864
>>> x = preprocess_input(np.full((1, 2, 2, 3), 255.0))  # Keras' 'tf' mode: [-1, 1]
>>> float(x.max())
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from glassnet.applications._blocks import BoundedReLU
from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import KERAS_BASE, WeightSpec, register_model
from glassnet.applications.weights import build_application
from glassnet.layers import Dropout
from glassnet.layers.base import Layer
from glassnet.layers.convolutional import Conv2D, DepthwiseConv2D
from glassnet.layers.normalization import BatchNormalization
from glassnet.layers.pooling import GlobalAveragePooling2D

# (pointwise filters, stride) of the 13 depthwise-separable blocks
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))


class MobileNetBlock(Layer):
    """One depthwise-separable block: 3x3 depthwise conv + BN + ReLU6, then 1x1 conv + BN + ReLU6.

    A strided block pads one row and column at the bottom/right first, as Keras does.

    >>> from glassnet.models import Sequential
    >>> Sequential([MobileNetBlock(16, stride=2)])(torch.zeros(1, 8, 8, 3)).shape
    torch.Size([1, 4, 4, 16])
    """

    def __init__(self, filters: int, stride: int = 1, depth_multiplier: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.stride = stride
        self.conv_dw = DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid",
                                       depth_multiplier=depth_multiplier, use_bias=False)
        self.conv_dw_bn = BatchNormalization()
        self.conv_pw = Conv2D(filters, 1, use_bias=False)
        self.conv_pw_bn = BatchNormalization()

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = F.pad(x, (0, 1, 0, 1))
        x = F.relu6(self.conv_dw_bn(self.conv_dw(x)))
        return F.relu6(self.conv_pw_bn(self.conv_pw(x)))


class MobileNetModel(ImageClassifier):
    """MobileNet v1 with width multiplier ``alpha`` and ``depth_multiplier`` (Keras' names and padding)."""

    first_conv, classifier_name, build_size = "conv1", "conv_preds", 32

    def __init__(self, alpha: float = 1.0, depth_multiplier: int = 1, dropout: float = 1e-3,
                 include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str | None = None, **kwargs):
        super().__init__(name=name or ("mobilenet_%.2f" % alpha).replace(".", "_"), **kwargs)
        self.conv1 = Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False)
        self.conv1_bn = BatchNormalization()
        self.conv1_relu = BoundedReLU(6.0)
        self.blocks = nn.Sequential(*[MobileNetBlock(int(filters * alpha), stride, depth_multiplier)
                                      for filters, stride in BLOCKS])
        self.num_features = int(1024 * alpha)
        self.include_top, self.pooling = bool(include_top), pooling
        self._init_head(False, pooling, classes, None)
        self.include_top = bool(include_top)
        if include_top:
            self.global_pool = GlobalAveragePooling2D(keepdims=True)
            self.dropout = Dropout(dropout)
            self.conv_preds = Conv2D(classes, 1, padding="same", activation=classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.conv1_relu(self.conv1_bn(self.conv1(x))))

    def keras_names(self) -> dict[str, str]:
        """Our module paths -> the layer names in Keras' MobileNet files (``blocks.0.conv_dw`` -> ``conv_dw_1``)."""
        return {f"blocks.{i}.{part}{suffix}": f"{part}_{i + 1}{suffix}" for i in range(len(self.blocks))
                for part in ("conv_dw", "conv_pw") for suffix in ("", "_bn")}

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not self.include_top:
            return self.global_pool(x) if self.global_pool is not None else x
        x = self.global_pool(x)
        if pre_logits:
            return x.flatten(1)
        return self.get_classifier()(self.dropout(x)).flatten(1)

    def _new_classifier(self, num_classes: int, activation: Any, in_features: int) -> torch.nn.Module:
        layer = Conv2D(num_classes, 1, padding="same", activation=activation)
        with torch.no_grad():
            layer(torch.zeros(1, in_features, 1, 1, device=self.conv1.weight.device))
        return layer


def _alpha_text(alpha: float) -> str:
    return {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}.get(alpha, "")


def _keras_mobilenet_weights() -> tuple[WeightSpec, ...]:
    """Keras' files for every alpha at 224x224 (only the 0.25 no-top file has a published checksum)."""
    known = {"mobilenet_2_5_224_tf_no_top.h5": "dbdb03ee2a22fd895301636cd328b234bb3a9952358f436d82f46b81e0d5b0bf"}
    specs = []
    for alpha in (1.0, 0.75, 0.5, 0.25):
        for include_top, suffix in ((True, ""), (False, "_no_top")):
            filename = f"mobilenet_{_alpha_text(alpha)}_224_tf{suffix}.h5"
            specs.append(WeightSpec("imagenet", filename, KERAS_BASE + "mobilenet/" + filename, "keras_h5",
                                    include_top, preprocess="tf", sha256=known.get(filename),
                                    requires={"alpha": alpha, "depth_multiplier": 1}))
    return tuple(specs)


@register_model(family="mobilenet", default_size=224, preprocess="tf", params=4_253_864, gflops=1.138,
                top1=0.665, top5=0.871,
                accuracy_source="Keras applications table (alpha=1.0; later Keras docs: 0.704/0.895)",
                weights=_keras_mobilenet_weights(), paper="Howard et al. 2017, MobileNets")
def MobileNet(input_shape: Any = None, alpha: float = 1.0, depth_multiplier: int = 1, dropout: float = 1e-3,
              include_top: bool = True, weights: Any = "imagenet", pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str | None = None) -> MobileNetModel:
    """MobileNet v1 with Keras' signature (``alpha`` width multiplier, ``depth_multiplier``).

    ``weights='imagenet'`` (the default, as in Keras) loads Keras' file for ``alpha`` 0.25, 0.5, 0.75 or 1.0.

    >>> MobileNet(alpha=0.25, include_top=False, weights=None).count_params()
    218544
    """
    return build_application("MobileNet", MobileNetModel, weights, include_top, classes, input_shape, alpha=alpha,
                             depth_multiplier=depth_multiplier, dropout=dropout, pooling=pooling,
                             classifier_activation=classifier_activation, name=name)


preprocess_input = make_preprocess_input(MobileNet.info.preprocess, "MobileNet")

__all__ = ["MobileNet", "MobileNetModel", "MobileNetBlock", "preprocess_input", "decode_predictions"]
