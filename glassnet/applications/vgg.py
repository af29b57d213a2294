"""VGG16 and VGG19 (Simonyan & Zisserman, 2014) with torchvision's layout.

``features.N`` (conv/ReLU/max-pool at torchvision's indices), ``avgpool`` (7x7, so small images
work too) and ``classifier.0/.3/.6``: torchvision's state dicts load with ``strict=True``. The
classifier flattens in (C, H, W) order like torchvision; Keras' (H, W, C)-ordered ``fc1`` kernel
is permuted when a Keras ``.h5`` file is loaded (``keras_flatten``).

>>> VGG16(weights=None, include_top=False).count_params()
14714688
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from glassnet.applications._blocks import AdaptiveAvgPool2D, BoundedReLU, TorchConv2D, TorchPooling2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.registry import keras_weights, register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers import Dense, Dropout, Flatten

CONFIGS = {"VGG16": (2, 2, 3, 3, 3), "VGG19": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)


class VGGModel(ImageClassifier):
    """VGG with ``blocks`` convolutions per stage (VGG16: 2, 2, 3, 3, 3)."""

    first_conv, classifier_name, build_size = "features.0", "classifier.6", 32
    num_features = 4096

    def __init__(self, blocks: tuple = (2, 2, 3, 3, 3), include_top: bool = True, pooling: str | None = None,
                 classes: int = 1000, classifier_activation: Any = "softmax", dropout: float = 0.5,
                 name: str | None = None, **kwargs):
        super().__init__(name=name or "vgg", **kwargs)
        layers: list[nn.Module] = []
        self._keras = {}
        for stage, (count, width) in enumerate(zip(blocks, WIDTHS), start=1):
            for i in range(1, count + 1):
                self._keras[f"features.{len(layers)}"] = f"block{stage}_conv{i}"
                layers += [TorchConv2D(width, 3, pad=1), BoundedReLU()]
            layers.append(TorchPooling2D("max", 2, 2))
        self.features = nn.Sequential(*layers)
        self._init_head(False, pooling, classes, None)
        self.include_top = bool(include_top)
        if include_top:
            self.avgpool = AdaptiveAvgPool2D(7)
            self.flatten = Flatten(data_format="channels_first")
            self.classifier = nn.Sequential(
                Dense(4096), BoundedReLU(), Dropout(dropout), Dense(4096), BoundedReLU(), Dropout(dropout),
                Dense(classes, activation=classifier_activation))
            self._keras.update({"classifier.0": "fc1", "classifier.3": "fc2", "classifier.6": "predictions"})
        self._build_weights()

    keras_flatten = {"classifier.0": (512, 7, 7)}

    def keras_names(self) -> dict[str, str]:
        """Our module paths -> the layer names in Keras' VGG weight files."""
        return dict(self._keras)

    def droppable_prefixes(self) -> tuple[str, ...]:
        return () if self.include_top else ("classifier.",)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        if not self.include_top:
            return self.global_pool(x) if self.global_pool is not None else x
        x = self.classifier[:6](self.flatten(self.avgpool(x)))
        return x if pre_logits else self.classifier[6](x)


def _vgg(name: str, weights, include_top, input_shape, pooling, classes, classifier_activation, model_name):
    return build_application(name, VGGModel, weights, include_top, classes, input_shape, blocks=CONFIGS[name],
                             pooling=pooling, classifier_activation=classifier_activation, name=model_name)


@register_model(family="vgg", default_size=224, preprocess="caffe", params=138_357_544, gflops=30.94,
                top1=0.715, top5=0.901, accuracy_source="Keras applications table",
                weights=keras_weights("vgg16", ("vgg16_weights_tf_dim_ordering_tf_kernels.h5",
                                                "64373286793e3c8b2b4e3219cbf3544b"),
                                      ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                       "6d6bbae143d832006294945121d1f1fc"), "caffe")
                + (torchvision_weights("vgg16-397923af.pth", 0.71592, 0.90382),),
                paper="Simonyan & Zisserman 2014, Very deep convolutional networks")
def VGG16(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
          classes: int = 1000, classifier_activation: Any = "softmax", name: str = "vgg16") -> VGGModel:
    """VGG16: 13 conv layers in 5 blocks, then 4096-4096-classes dense layers.

    >>> VGG16(weights=None, include_top=False, pooling='avg').count_params()
    14714688
    """
    return _vgg("VGG16", weights, include_top, input_shape, pooling, classes, classifier_activation, name)


@register_model(family="vgg", default_size=224, preprocess="caffe", params=143_667_240, gflops=39.26,
                top1=0.727, top5=0.910, accuracy_source="Keras applications table",
                weights=keras_weights("vgg19", ("vgg19_weights_tf_dim_ordering_tf_kernels.h5",
                                                "cbe5617147190e668d6c5d5026f83318"),
                                      ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                       "253f8cb515780f3b799900260a226db6"), "caffe")
                + (torchvision_weights("vgg19-dcbb9e9d.pth", 0.72376, 0.90876),),
                paper="Simonyan & Zisserman 2014, Very deep convolutional networks")
def VGG19(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
          classes: int = 1000, classifier_activation: Any = "softmax", name: str = "vgg19") -> VGGModel:
    """VGG19: 16 conv layers in 5 blocks, then 4096-4096-classes dense layers.

    >>> VGG19(weights=None, include_top=False).count_params()
    20024384
    """
    return _vgg("VGG19", weights, include_top, input_shape, pooling, classes, classifier_activation, name)
