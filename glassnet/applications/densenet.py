"""DenseNet-121/169/201 (Huang et al., 2017) with torchvision's names (``features.conv0``,
``features.denseblock1.denselayer1.norm1`` ... ``features.norm5``, ``classifier``). With batch-norm
statistics counted the parameter counts equal Keras' table (8,062,504 for DenseNet121).
Old-style torchvision keys (``norm.1``) are renamed when loading.

>>> DenseNet121(weights=None).count_params()
8062504
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.applications._blocks import BoundedReLU, TorchConv2D, TorchPooling2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import keras_weights, register_model, torchvision_weights
from glassnet.applications.weights import build_application
from glassnet.layers.base import Layer
from glassnet.layers.normalization import BatchNormalization


class DenseLayer(Layer):
    """BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv producing ``growth_rate`` new channels."""

    def __init__(self, growth_rate: int, bn_size: int = 4, bn_epsilon: float = 1.001e-5, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = BatchNormalization(epsilon=bn_epsilon)
        self.relu1 = BoundedReLU()
        self.conv1 = TorchConv2D(bn_size * growth_rate, 1, use_bias=False)
        self.norm2 = BatchNormalization(epsilon=bn_epsilon)
        self.relu2 = BoundedReLU()
        self.conv2 = TorchConv2D(growth_rate, 3, pad=1, use_bias=False)

    def call(self, x):
        out = self.conv1(self.relu1(self.norm1(x)))
        return torch.cat([x, self.conv2(self.relu2(self.norm2(out)))], 1)


class Transition(nn.Sequential):
    """BN-ReLU-1x1 conv halving the channels, then 2x2 average pooling (names norm/relu/conv/pool)."""

    def __init__(self, out_channels: int, bn_epsilon: float):
        super().__init__(OrderedDict(norm=BatchNormalization(epsilon=bn_epsilon), relu=BoundedReLU(),
                                     conv=TorchConv2D(out_channels, 1, use_bias=False),
                                     pool=TorchPooling2D("avg", 2, 2)))


class DenseNetModel(ImageClassifier):
    """DenseNet-BC with ``blocks`` dense layers per block, growth rate 32."""

    first_conv, classifier_name, build_size = "features.conv0", "classifier", 32

    def __init__(self, blocks: tuple = (6, 12, 24, 16), growth_rate: int = 32, include_top: bool = True,
                 pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                 bn_epsilon: float = 1.001e-5, name: str | None = None, **kwargs):
        super().__init__(name=name or "densenet", **kwargs)
        modules: OrderedDict[str, nn.Module] = OrderedDict(
            conv0=TorchConv2D(64, 7, strides=2, pad=3, use_bias=False), norm0=BatchNormalization(epsilon=bn_epsilon),
            relu0=BoundedReLU(), pool0=TorchPooling2D("max", 3, 2, pad=1))
        channels = 64
        for i, count in enumerate(blocks, start=1):
            block = nn.Sequential(OrderedDict((f"denselayer{j}", DenseLayer(growth_rate, 4, bn_epsilon))
                                              for j in range(1, count + 1)))
            modules[f"denseblock{i}"] = block
            channels += count * growth_rate
            if i != len(blocks):
                channels //= 2
                modules[f"transition{i}"] = Transition(channels, bn_epsilon)
        modules["norm5"] = BatchNormalization(epsilon=bn_epsilon)
        self.features = nn.Sequential(modules)
        self.num_features = channels
        self._init_head(include_top, pooling, classes, classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.features(x))

    def droppable_prefixes(self) -> tuple[str, ...]:
        return () if self.include_top else ("classifier.",)

    def remap_state_dict(self, state: dict) -> dict:
        """torchvision's old DenseNet files name ``norm.1`` what is now ``norm1``."""
        pattern = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|"
                             r"running_var|num_batches_tracked))$")
        out = {}
        for key, value in state.items():
            match = pattern.match(key)
            out[match.group(1) + match.group(2) if match else key] = value
        return out


def _densenet(model_id: str, blocks: tuple, weights, include_top, input_shape, pooling, classes,
              classifier_activation, name, bn_epsilon):
    return build_application(model_id, DenseNetModel, weights, include_top, classes, input_shape, blocks=blocks,
                             pooling=pooling, classifier_activation=classifier_activation, name=name,
                             bn_epsilon=bn_epsilon)


def _weights(depth: int, top: str, notop: str, tv_file: str, acc: tuple) -> tuple:
    return keras_weights("densenet", (f"densenet{depth}_weights_tf_dim_ordering_tf_kernels.h5", top),
                         (f"densenet{depth}_weights_tf_dim_ordering_tf_kernels_notop.h5", notop), "torch") + \
        (torchvision_weights(tv_file, *acc, bn_epsilon=1e-5),)


_PAPER = "Huang et al. 2017, Densely connected convolutional networks"


@register_model(family="densenet", default_size=224, preprocess="torch", params=8_062_504, gflops=5.668,
                top1=0.745, top5=0.918, accuracy_source="Keras applications table", paper=_PAPER,
                weights=_weights(121, "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738",
                                 "densenet121-a639ec97.pth", (0.74434, 0.91972)))
def DenseNet121(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None,
                pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                name: str = "densenet121", bn_epsilon: float = 1.001e-5) -> DenseNetModel:
    """DenseNet-121 (blocks 6-12-24-16).

    >>> DenseNet121(weights=None, include_top=False).count_params()
    7037504
    """
    return _densenet("DenseNet121", (6, 12, 24, 16), weights, include_top, input_shape, pooling, classes,
                     classifier_activation, name, bn_epsilon)


@register_model(family="densenet", default_size=224, preprocess="torch", params=14_307_880, gflops=6.72,
                top1=0.759, top5=0.928, accuracy_source="Keras applications table", paper=_PAPER,
                weights=_weights(169, "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b",
                                 "densenet169-b2777c0a.pth", (0.756, 0.92806)))
def DenseNet169(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None,
                pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                name: str = "densenet169", bn_epsilon: float = 1.001e-5) -> DenseNetModel:
    """DenseNet-169 (blocks 6-12-32-32)."""
    return _densenet("DenseNet169", (6, 12, 32, 32), weights, include_top, input_shape, pooling, classes,
                     classifier_activation, name, bn_epsilon)


@register_model(family="densenet", default_size=224, preprocess="torch", params=20_242_984, gflops=8.583,
                top1=0.770, top5=0.933, accuracy_source="Keras applications table", paper=_PAPER,
                weights=_weights(201, "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1",
                                 "densenet201-c1103571.pth", (0.76896, 0.93370)))
def DenseNet201(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None,
                pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                name: str = "densenet201", bn_epsilon: float = 1.001e-5) -> DenseNetModel:
    """DenseNet-201 (blocks 6-12-48-32)."""
    return _densenet("DenseNet201", (6, 12, 48, 32), weights, include_top, input_shape, pooling, classes,
                     classifier_activation, name, bn_epsilon)


# keras.applications.densenet: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(DenseNet121.info.preprocess, "DenseNet121/169/201")

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "DenseNetModel", "preprocess_input", "decode_predictions"]
