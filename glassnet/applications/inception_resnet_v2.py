"""Inception-ResNet v2 (Szegedy et al., 2016) as Keras builds it: 55,873,736 parameters.

Every conv is ``conv_bn`` (conv without bias + batch norm without gamma + ReLU) except each
residual block's final 1x1 ``conv`` (with bias, no batch norm), whose output is scaled (0.17,
0.1, 0.2) and added. Module names follow Keras where it names layers (``mixed_5b``,
``block35_1``, ``conv_7b``); Keras' automatic names (``conv2d_N``) are matched by creation order.

>>> InceptionResNetV2(weights=None).count_params()
55873736
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.applications._blocks import BasicConv2D, TorchConv2D
from glassnet.applications.base import ImageClassifier
from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.registry import keras_weights, register_model
from glassnet.applications.weights import build_application
from glassnet.layers.base import Layer


def conv_bn(filters: int, kernel: Any, strides: int = 1, padding: str = "same") -> BasicConv2D:
    """Keras' ``conv2d_bn``: 'same' padding (symmetric for odd kernels at stride 1) or 'valid'."""
    kernel = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    pad = tuple((k - 1) // 2 for k in kernel) if padding == "same" else 0
    return BasicConv2D(filters, kernel, strides=strides, pad=pad, bn_scale=False)


class Branches(Layer):
    """Parallel branches (each an ``nn.Sequential``) concatenated on channels; ``pool`` adds a pooling branch."""

    def __init__(self, branches: list, pool: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.branches = nn.ModuleList(nn.Sequential(*b) for b in branches)
        self.pool = pool

    def call(self, x):
        outs = []
        for branch in self.branches:
            if self.pool == "avg" and branch is self.branches[-1]:
                outs.append(branch(F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)))
            else:
                outs.append(branch(x))
        if self.pool == "max":
            outs.append(F.max_pool2d(x, 3, 2))
        return torch.cat(outs, 1)


class ResidualBlock(Layer):
    """``x + scale * conv(concat(branches))``, then ReLU (except the very last block8)."""

    def __init__(self, kind: str, channels: int, scale: float, activation: bool = True, **kwargs):
        super().__init__(**kwargs)
        if kind == "block35":
            branches = [[conv_bn(32, 1)], [conv_bn(32, 1), conv_bn(32, 3)], [conv_bn(32, 1), conv_bn(48, 3),
                                                                               conv_bn(64, 3)]]
        elif kind == "block17":
            branches = [[conv_bn(192, 1)], [conv_bn(128, 1), conv_bn(160, (1, 7)), conv_bn(192, (7, 1))]]
        else:
            branches = [[conv_bn(192, 1)], [conv_bn(192, 1), conv_bn(224, (1, 3)), conv_bn(256, (3, 1))]]
        self.mixed = Branches(branches)
        self.conv = TorchConv2D(channels, 1, use_bias=True)
        self.scale, self.activation_on = float(scale), bool(activation)

    def call(self, x):
        x = x + self.scale * self.conv(self.mixed(x))
        return F.relu(x) if self.activation_on else x


class InceptionResNetV2Model(ImageClassifier):
    """Stem, mixed_5b, 10 x block35, mixed_6a, 20 x block17, mixed_7a, 10 x block8, conv_7b."""

    first_conv, classifier_name, build_size = "stem.0.conv", "predictions", 75
    num_features = 1536

    def __init__(self, include_top: bool = True, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str | None = None, **kwargs):
        super().__init__(name=name or "inception_resnet_v2", **kwargs)
        self.stem = nn.Sequential(conv_bn(32, 3, 2, "valid"), conv_bn(32, 3, padding="valid"), conv_bn(64, 3))
        self.stem2 = nn.Sequential(conv_bn(80, 1, padding="valid"), conv_bn(192, 3, padding="valid"))
        self.mixed_5b = Branches([[conv_bn(96, 1)], [conv_bn(48, 1), conv_bn(64, 5)],
                                  [conv_bn(64, 1), conv_bn(96, 3), conv_bn(96, 3)], [conv_bn(64, 1)]], pool="avg")
        self.block35 = nn.Sequential(*(ResidualBlock("block35", 320, 0.17) for _ in range(10)))
        self.mixed_6a = Branches([[conv_bn(384, 3, 2, "valid")],
                                  [conv_bn(256, 1), conv_bn(256, 3), conv_bn(384, 3, 2, "valid")]], pool="max")
        self.block17 = nn.Sequential(*(ResidualBlock("block17", 1088, 0.1) for _ in range(20)))
        self.mixed_7a = Branches([[conv_bn(256, 1), conv_bn(384, 3, 2, "valid")],
                                  [conv_bn(256, 1), conv_bn(288, 3, 2, "valid")],
                                  [conv_bn(256, 1), conv_bn(288, 3), conv_bn(320, 3, 2, "valid")]], pool="max")
        self.block8 = nn.Sequential(*(ResidualBlock("block8", 2080, 0.2) for _ in range(9)),
                                    ResidualBlock("block8", 2080, 1.0, activation=False))
        self.conv_7b = conv_bn(1536, 1)
        self._init_head(include_top, pooling, classes, classifier_activation)
        self._build_weights()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.stem(x), 3, 2)
        x = F.max_pool2d(self.stem2(x), 3, 2)
        x = self.block35(self.mixed_5b(x))
        x = self.block17(self.mixed_6a(x))
        return self.conv_7b(self.block8(self.mixed_7a(x)))

    def keras_names(self) -> dict[str, str]:
        """Named Keras layers: the residual 'up' convs, conv_7b and the classifier; the rest are automatic."""
        names = {"conv_7b.conv": "conv_7b", "conv_7b.bn": "conv_7b_bn", "predictions": "predictions"}
        for kind in ("block35", "block17", "block8"):
            for i, _ in enumerate(getattr(self, kind)):
                names[f"{kind}.{i}.conv"] = f"{kind}_{i + 1}_conv"
        return names


@register_model(family="inception", default_size=299, min_size=75, preprocess="tf", params=55_873_736, gflops=26.31,
                top1=0.804, top5=0.953, accuracy_source="Keras applications table", test_size=75,
                weights=keras_weights("inception_resnet_v2",
                                      ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
                                       "e693bd0210a403b3192acc6073ad2e96"),
                                      ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                                       "d19885ff4a710c122648d3b5c3b684e4"), "tf"),
                paper="Szegedy et al. 2016, Inception-v4, Inception-ResNet and the impact of residual connections")
def InceptionResNetV2(include_top: bool = True, weights: Any = "imagenet", input_shape: Any = None,
                      pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                      name: str = "inception_resnet_v2") -> InceptionResNetV2Model:
    """Inception-ResNet v2 with Keras' signature (299x299x3 input; at least 75x75)."""
    return build_application("InceptionResNetV2", InceptionResNetV2Model, weights, include_top, classes, input_shape,
                             pooling=pooling, classifier_activation=classifier_activation, name=name)


# keras.applications.inception_resnet_v2: the builders, plus the preprocessing of their default ('imagenet') weights
preprocess_input = make_preprocess_input(InceptionResNetV2.info.preprocess, "InceptionResNetV2")

__all__ = ["InceptionResNetV2", "InceptionResNetV2Model", "preprocess_input", "decode_predictions"]
