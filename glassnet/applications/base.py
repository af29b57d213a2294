"""The contract every application model keeps (after timm), so tools are written once.

* ``forward_features(x)`` — the convolutional body: an (N, C, H, W) feature map (internal layout);
* ``forward_head(x, pre_logits=False)`` — pooling and classifier (``pre_logits=True``: the pooled vector);
* ``reset_classifier(num_classes)`` — a fresh classifier for transfer learning (0 removes it);
* ``first_conv`` / ``classifier_name`` — module paths of the first convolution and the classifier,
  so Grad-CAM, feature extraction and fine-tuning find them without per-model code.

With ``include_top=False`` the head is only the optional global ``pooling`` ('avg' or 'max'),
as in Keras. The model's weights are created at construction (a forward pass on a small image).

>>> from glassnet.applications import ResNet18
>>> model = ResNet18(classes=10)
>>> model.first_conv, model.classifier_name
('conv1', 'fc')
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet import layout
from glassnet.errors import ShapeError
from glassnet.layers import Dense
from glassnet.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from glassnet.models import Model

from glassnet.applications._blocks import Identity
from glassnet.modes import evaluating

_POOLINGS = (None, "avg", "max")


class ImageClassifier(Model):
    """Base class of the application models (subclassed Keras models with the timm contract)."""

    first_conv: str = "conv1"
    classifier_name: str = "fc"
    build_size: int = 64  # side of the image used to create the weights at construction

    # ------------------------------------------------------------------ set-up helpers
    def _init_head(self, include_top: bool, pooling: str | None, classes: int,
                   classifier_activation: Any, in_features: int | None = None) -> None:
        """Global pooling plus, with ``include_top``, a Dense classifier at ``classifier_name``."""
        if pooling not in _POOLINGS:
            raise ValueError(f"pooling={pooling!r}: use None, 'avg' or 'max'.")
        self.include_top, self.pooling = bool(include_top), pooling
        if include_top:
            self.global_pool = GlobalAveragePooling2D()
            self._set_classifier(Dense(classes, activation=classifier_activation,
                                       **({"input_dim": in_features} if in_features else {})))
        elif pooling is not None:
            self.global_pool = GlobalAveragePooling2D() if pooling == "avg" else GlobalMaxPooling2D()
        else:
            self.global_pool = None

    def _set_classifier(self, module: torch.nn.Module) -> None:
        parent_path, _, leaf = self.classifier_name.rpartition(".")
        parent = self.get_submodule(parent_path) if parent_path else self
        if isinstance(parent, (torch.nn.Sequential, torch.nn.ModuleList)) and leaf.isdigit():
            parent[int(leaf)] = module
        else:
            setattr(parent, leaf, module)

    def _build_weights(self) -> None:
        """Create every weight now by running a small zero image through the network."""
        if self._batch_input_shape is not None:
            shape = layout.internal_shape((1, *self._batch_input_shape[1:]), self.data_format)
            example = torch.zeros(shape)
        else:
            example = torch.zeros(1, self.input_channels, self.build_size, self.build_size)
        with evaluating(self), torch.no_grad(), layout.internal_layout():
            self(example)
        self.built = True

    input_channels: int = 3

    # ------------------------------------------------------------------ the contract
    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional body: image batch (N, C, H, W) -> feature map."""
        raise NotImplementedError

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Feature map -> class scores (or the pooled features with ``pre_logits=True``)."""
        if self.global_pool is not None:
            x = self.global_pool(x)
        if pre_logits or not self.include_top:
            return x
        return self.get_classifier()(x)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(inputs))

    def get_classifier(self) -> torch.nn.Module:
        """The final classification layer (at ``classifier_name``), as in timm."""
        if not getattr(self, "include_top", True):
            raise ShapeError(f"Model '{self.name}' was built with include_top=False and has no classifier.")
        return self.get_submodule(self.classifier_name)

    def reset_classifier(self, num_classes: int, activation: Any = "keep") -> torch.nn.Module:
        """Replace the classifier by a freshly initialised one with ``num_classes`` outputs.

        ``num_classes=0`` removes it: the model then returns pooled features.
        ``activation='keep'`` keeps the old classifier's activation (e.g. softmax).

        >>> from glassnet.applications import ResNet18
        >>> model = ResNet18()
        >>> _ = model.reset_classifier(5)
        >>> model.fc.weight.shape
        torch.Size([5, 512])
        """
        if not self.include_top:
            raise ShapeError(f"Model '{self.name}' was built with include_top=False: it has no classifier to "
                             "reset. Build it with include_top=True, or put your own Dense layer on top.")
        old = self.get_classifier()
        if activation == "keep":
            activation = getattr(old, "activation", None)
        in_features = self._classifier_in_features(old)
        new = Identity() if num_classes == 0 else self._new_classifier(num_classes, activation, in_features)
        self._set_classifier(new)
        if hasattr(self, "_init_args") and "classes" in self._init_args:
            self._init_args["classes"] = num_classes
            self._init_args["classifier_activation"] = _activation_name(activation)
        return new

    def _classifier_in_features(self, old: torch.nn.Module) -> int:
        return int(old.weight.shape[1])

    def _new_classifier(self, num_classes: int, activation: Any, in_features: int) -> torch.nn.Module:
        return Dense(num_classes, activation=activation, input_dim=in_features)

    def feature_info(self) -> dict:
        """Where to cut the network: first conv, classifier and the feature width.

        >>> from glassnet.applications import ResNet18
        >>> ResNet18(include_top=False).feature_info()['num_features']
        512
        """
        return {"first_conv": self.first_conv, "classifier": self.classifier_name,
                "num_features": self.num_features}

    num_features: int = 0


def build_submodule(module: torch.nn.Module, internal_shape: tuple) -> None:
    """Create a sublayer's weights by running zeros of ``internal_shape`` (NCHW) through it in eval mode."""
    with evaluating(module), torch.no_grad(), layout.internal_layout():
        module(torch.zeros(internal_shape))


def _activation_name(activation: Any) -> Any:
    from glassnet import activations
    if activation is None or isinstance(activation, str):
        return activation
    return activations.serialize(activation)


__all__ = ["ImageClassifier"]
