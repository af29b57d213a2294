"""``Sequential``: a plain stack of layers, each feeding the next.

>>> from glassnet.layers import Dense
>>> model = Sequential()
>>> model.add(Dense(units=64, activation='relu', input_dim=100))
>>> model.add(Dense(units=10, activation='softmax'))
>>> model.count_params()
7114
"""

from __future__ import annotations

from typing import Iterable

import torch

from glassnet import layout
from glassnet.layers.core import InputLayer
from glassnet.models import model as model_module
from glassnet.symbolic import SymbolicTensor


class Sequential(model_module.Model):
    """Layers applied one after another. Any ``torch.nn.Module`` may be a layer."""

    def __init__(self, layers: Iterable[torch.nn.Module] | None = None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        self._example: torch.Tensor | None = None  # output of the last layer on a 1-sample example
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: torch.nn.Module | SymbolicTensor) -> None:
        """Append a layer (or an ``Input(...)`` to declare the input shape)."""
        if isinstance(layer, SymbolicTensor):
            self._set_input(layer.node.layer)
            return
        if isinstance(layer, InputLayer):
            self._set_input(layer)
            return
        if not isinstance(layer, torch.nn.Module):
            raise TypeError(f"Sequential.add() takes a layer (torch.nn.Module), got {type(layer).__name__}.")
        declared = getattr(layer, "_batch_input_shape", None)
        if not len(self._modules) and declared is not None and self._input_layer is None:
            self._set_input(InputLayer(shape=declared[1:], batch_size=declared[0]))
        self._register_layer(layer)
        if self._example is not None:
            self._example = self._run_layer(layer, self._example)

    def _set_input(self, input_layer: InputLayer) -> None:
        if len(self._modules):
            raise ValueError("Input(...) must come first in a Sequential model.")
        object.__setattr__(self, "_input_layer", input_layer)  # a spec, not a child module
        example = torch.zeros((1, *input_layer.shape), dtype=input_layer.input_dtype)
        self._example = layout.to_internal(example, self.data_format,
                                           keep_integer=not input_layer.input_dtype.is_floating_point)
        self.built = True

    @staticmethod
    def _run_layer(layer: torch.nn.Module, example: torch.Tensor) -> torch.Tensor:
        was_training = layer.training
        layer.eval()
        try:
            with torch.no_grad(), layout.inside_model():
                return layer(example)
        finally:
            layer.train(was_training)

    def pop(self) -> torch.nn.Module:
        """Remove and return the last layer."""
        if not self._modules:
            raise ValueError("There is no layer to pop: the model is empty.")
        name = next(reversed(self._modules))
        layer = self._modules.pop(name)
        if self._input_layer is not None:
            self._set_input(self._input_layer)
            for remaining in self._modules.values():
                self._example = self._run_layer(remaining, self._example)
        return layer

    def call(self, inputs, *args, **kwargs):
        for layer in self._modules.values():
            inputs = layer(inputs)
        return inputs

    def _integer_inputs(self) -> bool:
        if self._input_layer is not None:
            return not self._input_layer.input_dtype.is_floating_point
        first = next(iter(self._modules.values()), None)
        return bool(getattr(first, "integer_input", False))

    @property
    def layers(self) -> list[torch.nn.Module]:
        return list(self._modules.values())

    def output_layers(self) -> list[torch.nn.Module]:
        return self.layers[-1:]

    @property
    def input_shape(self) -> tuple | None:
        """Declared input shape in user layout (batch None), if any."""
        if self._input_layer is None:
            return None
        return (None, *self._input_layer.shape)

    def get_config(self) -> dict:
        from glassnet.serialization import to_json_value
        layers = []
        for layer in self.layers:
            if not hasattr(layer, "get_config"):
                raise TypeError(f"Cannot save layer '{layer.name}' ({type(layer).__name__}): it is a plain "
                                "torch module without get_config. Use save_weights() and rebuild in code.")
            layers.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        config = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_layer is not None:
            config["input"] = to_json_value(self._input_layer.get_config())
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Sequential":
        from glassnet import serialization
        model = cls(name=config.get("name"))
        if config.get("input"):
            spec = dict(config["input"])
            spec.pop("name", None)
            model.add(InputLayer(**spec))
        for spec in config["layers"]:
            layer_cls = serialization.get_class(spec["class_name"], custom_objects)
            model.add(layer_cls.from_config(spec["config"]))
        model.trainable = config.get("trainable", True)
        return model
