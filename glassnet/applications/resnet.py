"""ResNet-18/34/50/101/152 (He et al., 2015): one implementation for Keras' and torchvision's variants.

Attribute names are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``, ``layer1.0.downsample.0``,
``fc``), so torchvision state dicts load with ``strict=True``. Keras' ResNet50/101/152 differ in
three switches, all on by default for them so parameter counts match Keras' table:

* ``conv_bias=True`` — Keras keeps a bias on every conv before batch norm (25,636,712 parameters
  for ResNet50 vs torchvision's 25,557,032);
* ``stride_in_1x1=True`` — Keras strides in the first 1x1 conv of a bottleneck, torchvision in the 3x3;
* ``bn_epsilon=1.001e-5`` (torchvision: 1e-5).

``weights='torchvision'`` sets the torchvision values automatically.

The rule for defaults: each builder follows the library that defines the model. Keras has
ResNet50/101/152: they are Keras' variant with ``weights='imagenet'`` (Keras' files, 'caffe'
preprocessing). Keras has no ResNet18/34: they are torchvision's variant (no conv biases, stride
in the 3x3) with ``weights=None``; ``weights='torchvision'`` loads torchvision's files ('torch'
preprocessing). This module is also ``keras.applications.resnet`` (``preprocess_input`` is the
'caffe' mode of ResNet50/101/152's ImageNet weights).

>>> ResNet50(weights=None).count_params()
25636712
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.applications._blocks import TorchConv2D, TorchPooling2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import keras_weights, register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers.base import Layer
from glassnet.layers.normalization import BatchNormalization

_TV = dict(conv_bias=False, stride_in_1x1=False, bn_epsilon=1e-5)


class BasicBlock(Layer):
    """Two 3x3 convs with an identity (or 1x1-projection) shortcut."""

    expansion = 1

    def __init__(self, width: int, stride: int = 1, downsample: bool = False, conv_bias: bool = False,
                 stride_in_1x1: bool = False, bn_epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = TorchConv2D(width, 3, strides=stride, pad=1, use_bias=conv_bias)
        self.bn1 = BatchNormalization(epsilon=bn_epsilon)
        self.conv2 = TorchConv2D(width, 3, pad=1, use_bias=conv_bias)
        self.bn2 = BatchNormalization(epsilon=bn_epsilon)
        self.downsample = _projection(width, stride, conv_bias, bn_epsilon) if downsample else None

    def call(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + shortcut)


class Bottleneck(Layer):
    """1x1 reduce, 3x3, 1x1 expand (x4), plus shortcut."""

    expansion = 4

    def __init__(self, width: int, stride: int = 1, downsample: bool = False, conv_bias: bool = False,
                 stride_in_1x1: bool = False, bn_epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
        self.conv1 = TorchConv2D(width, 1, strides=s1, use_bias=conv_bias)
        self.bn1 = BatchNormalization(epsilon=bn_epsilon)
        self.conv2 = TorchConv2D(width, 3, strides=s3, pad=1, use_bias=conv_bias)
        self.bn2 = BatchNormalization(epsilon=bn_epsilon)
        self.conv3 = TorchConv2D(width * 4, 1, use_bias=conv_bias)
        self.bn3 = BatchNormalization(epsilon=bn_epsilon)
        self.downsample = _projection(width * 4, stride, conv_bias, bn_epsilon) if downsample else None

    def call(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + shortcut)


def _projection(filters: int, stride: int, conv_bias: bool, bn_epsilon: float) -> nn.Sequential:
    return nn.Sequential(TorchConv2D(filters, 1, strides=stride, use_bias=conv_bias),
                         BatchNormalization(epsilon=bn_epsilon))


class ResNetModel(ImageClassifier):
    """ResNet with ``block`` ('basic' or 'bottleneck') repeated ``layers`` times per stage."""

    first_conv, classifier_name, build_size = "conv1", "fc", 32

    def __init__(self, block: str = "bottleneck", layers: tuple = (3, 4, 6, 3), include_top: bool = True,
                 pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                 conv_bias: bool = True, stride_in_1x1: bool = True, bn_epsilon: float = 1.001e-5,
                 name: str | None = None, **kwargs):
        super().__init__(name=name or "resnet", **kwargs)
        unit = {"basic": BasicBlock, "bottleneck": Bottleneck}[block]
        options = dict(conv_bias=conv_bias, stride_in_1x1=stride_in_1x1, bn_epsilon=bn_epsilon)
        self.conv1 = TorchConv2D(64, 7, strides=2, pad=3, use_bias=conv_bias)
        self.bn1 = BatchNormalization(epsilon=bn_epsilon)
        self.maxpool = TorchPooling2D("max", 3, 2, pad=1)
        channels = 64
        for stage, (count, width) in enumerate(zip(layers, (64, 128, 256, 512)), start=1):
            stride = 1 if stage == 1 else 2
            blocks = []
            for i in range(count):
                needs_projection = i == 0 and (stride != 1 or channels != width * unit.expansion)
                blocks.append(unit(width, stride if i == 0 else 1, needs_projection, **options))
                channels = width * unit.expansion
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.num_features = channels
        self._init_head(include_top, pooling, classes, classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def droppable_prefixes(self) -> tuple[str, ...]:
        return () if self.include_top else ("fc.",)

    def keras_names(self) -> dict[str, str]:
        """Our module paths -> layer names in Keras' ResNet weight files (conv2_block1_1_conv...)."""
        names = {"conv1": "conv1_conv", "bn1": "conv1_bn", "fc": "predictions"}
        for stage in range(1, 5):
            for i, block in enumerate(getattr(self, f"layer{stage}")):
                prefix, path = f"conv{stage + 1}_block{i + 1}", f"layer{stage}.{i}"
                for j in (1, 2, 3):
                    names[f"{path}.conv{j}"], names[f"{path}.bn{j}"] = f"{prefix}_{j}_conv", f"{prefix}_{j}_bn"
                names[f"{path}.downsample.0"], names[f"{path}.downsample.1"] = f"{prefix}_0_conv", f"{prefix}_0_bn"
        return names


def _resnet(name, block, layers, weights, include_top, input_shape, pooling, classes, classifier_activation,
            model_name, **arch):
    return build_application(name, ResNetModel, weights, include_top, classes, input_shape, block=block,
                             layers=layers, pooling=pooling, classifier_activation=classifier_activation,
                             name=model_name, **arch)


@register_model(family="resnet", default_size=224, preprocess="torch", params=11_699_112, gflops=3.628,
                top1=0.69758, top5=0.89078, accuracy_source="torchvision",
                weights=(torchvision_weights("resnet18-f37072fd.pth", 0.69758, 0.89078, **_TV),),
                paper="He et al. 2015, Deep residual learning for image recognition")
def ResNet18(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
             classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet18",
             conv_bias: bool = False, bn_epsilon: float = 1e-5) -> ResNetModel:
    """ResNet-18 (basic blocks 2-2-2-2), torchvision's variant by default.

    >>> ResNet18().count_params()
    11699112
    """
    return _resnet("ResNet18", "basic", (2, 2, 2, 2), weights, include_top, input_shape, pooling, classes,
                   classifier_activation, name, conv_bias=conv_bias, stride_in_1x1=False, bn_epsilon=bn_epsilon)


@register_model(family="resnet", default_size=224, preprocess="torch", params=21_814_696, gflops=7.328,
                top1=0.73314, top5=0.9142, accuracy_source="torchvision",
                weights=(torchvision_weights("resnet34-b627a593.pth", 0.73314, 0.9142, **_TV),),
                paper="He et al. 2015, Deep residual learning for image recognition")
def ResNet34(include_top: bool = True, weights: Any = None, input_shape: Any = None, pooling: str | None = None,
             classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet34",
             conv_bias: bool = False, bn_epsilon: float = 1e-5) -> ResNetModel:
    """ResNet-34 (basic blocks 3-4-6-3), torchvision's variant by default.

    >>> ResNet34().count_params()
    21814696
    """
    return _resnet("ResNet34", "basic", (3, 4, 6, 3), weights, include_top, input_shape, pooling, classes,
                   classifier_activation, name, conv_bias=conv_bias, stride_in_1x1=False, bn_epsilon=bn_epsilon)


def ResNet50(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
             classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet50",
             conv_bias: bool = True, stride_in_1x1: bool = True, bn_epsilon: float = 1.001e-5) -> ResNetModel:
    """ResNet-50 (bottlenecks 3-4-6-3), Keras' variant by default (25,636,712 parameters).

    >>> ResNet50(weights=None).count_params()
    25636712
    """
    return _resnet("ResNet50", "bottleneck", (3, 4, 6, 3), weights, include_top, input_shape, pooling, classes,
                   classifier_activation, name, conv_bias=conv_bias, stride_in_1x1=stride_in_1x1,
                   bn_epsilon=bn_epsilon)


def ResNet101(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
              classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet101",
              conv_bias: bool = True, stride_in_1x1: bool = True, bn_epsilon: float = 1.001e-5) -> ResNetModel:
    """ResNet-101 (bottlenecks 3-4-23-3), Keras' variant by default (44,707,176 parameters)."""
    return _resnet("ResNet101", "bottleneck", (3, 4, 23, 3), weights, include_top, input_shape, pooling, classes,
                   classifier_activation, name, conv_bias=conv_bias, stride_in_1x1=stride_in_1x1,
                   bn_epsilon=bn_epsilon)


def ResNet152(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None, pooling: str | None = None,
              classes: int = 1000, classifier_activation: Any = "softmax", name: str = "resnet152",
              conv_bias: bool = True, stride_in_1x1: bool = True, bn_epsilon: float = 1.001e-5) -> ResNetModel:
    """ResNet-152 (bottlenecks 3-8-36-3), Keras' variant by default (60,419,944 parameters)."""
    return _resnet("ResNet152", "bottleneck", (3, 8, 36, 3), weights, include_top, input_shape, pooling, classes,
                   classifier_activation, name, conv_bias=conv_bias, stride_in_1x1=stride_in_1x1,
                   bn_epsilon=bn_epsilon)


def _register_deep(builder, hashes, tv_file, tv_acc, params, gflops, keras_acc):
    folder = builder.__name__.lower()
    weights = keras_weights("resnet", (f"{folder}_weights_tf_dim_ordering_tf_kernels.h5", hashes[0]),
                            (f"{folder}_weights_tf_dim_ordering_tf_kernels_notop.h5", hashes[1]), "caffe") + \
        (torchvision_weights(tv_file, *tv_acc, **_TV),)
    return register_model(family="resnet", default_size=224, preprocess="caffe", params=params, gflops=gflops,
                          top1=keras_acc[0], top5=keras_acc[1], accuracy_source="Keras applications table",
                          weights=weights, paper="He et al. 2015, Deep residual learning for image recognition"
                          )(builder)


ResNet50 = _register_deep(ResNet50, ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
                          "resnet50-0676ba61.pth", (0.7613, 0.92862), 25_636_712, 7.716, (0.759, 0.929))
ResNet101 = _register_deep(ResNet101, ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
                           "resnet101-63fe2227.pth", (0.77374, 0.93546), 44_707_176, 15.14, (0.764, 0.928))
ResNet152 = _register_deep(ResNet152, ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
                           "resnet152-394f9c45.pth", (0.78312, 0.94046), 60_419_944, 22.56, (0.766, 0.931))


# keras.applications.resnet: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(ResNet50.info.preprocess, "ResNet50/101/152")

__all__ = ["ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152", "ResNetModel", "BasicBlock", "Bottleneck",
           "preprocess_input", "decode_predictions"]
