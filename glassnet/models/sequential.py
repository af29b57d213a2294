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

from glassnet import layout, symbolic
from glassnet.errors import NotBuiltError
from glassnet.layers.core import InputLayer
from glassnet.models import model as model_module
from glassnet.symbolic import SymbolicTensor


class Sequential(model_module.Model):
    """Layers applied one after another. Any ``torch.nn.Module`` may be a layer.

    Once the input is known (``Input(...)`` first, ``input_shape=`` on the first layer,
    ``build((None, ...))`` or the first call on data) every layer is also called on symbolic
    tensors, so ``model.input``, ``model.output`` and ``layer.output`` work as in Keras.
    As in Keras 3, ``layers`` does not list the InputLayer.

    >>> from glassnet.layers import Dense, Input
    >>> model = Sequential([Input(shape=(4,)), Dense(3, name='hidden'), Dense(1)])
    >>> model.get_layer('hidden').output.shape, [layer.name for layer in model.layers]
    ((None, 3), ['hidden', 'dense'])
    """

    def __init__(self, layers: Iterable[torch.nn.Module] | None = None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        self._input_tensor: SymbolicTensor | None = None
        self._output_tensor: SymbolicTensor | None = None  # the last layer's symbolic output
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: torch.nn.Module | SymbolicTensor) -> None:
        """Append a layer (or an ``Input(...)`` to declare the input shape)."""
        if isinstance(layer, SymbolicTensor):
            self._set_input(layer.node.layer, layer)
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
        if self._output_tensor is not None:
            self._output_tensor = _call(layer, self._output_tensor)

    def _set_input(self, input_layer: InputLayer, tensor: SymbolicTensor | None = None) -> None:
        if len(self._modules):
            raise ValueError("Input(...) must come first in a Sequential model.")
        self._adopt_input(input_layer, tensor)

    def _adopt_input(self, input_layer: InputLayer, tensor: SymbolicTensor | None = None,
                     device: torch.device | None = None) -> None:
        """Take ``input_layer`` as the model's input and call every layer on its symbolic tensor."""
        object.__setattr__(self, "_input_layer", input_layer)  # a spec, not a child module
        self._input_tensor = tensor if tensor is not None else symbolic.input_tensor(input_layer, device)
        self._output_tensor = self._input_tensor
        for layer in self._modules.values():
            self._output_tensor = _call(layer, self._output_tensor)
        self.built = True

    def build(self, input_shape=None) -> None:
        """Build the weights for inputs of ``input_shape`` (user layout, batch first; None sizes allowed).

        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(2)]); m.build((None, 5)); m.count_params(), m.output.shape
        (12, (None, 2))
        """
        if self._input_layer is None:
            if input_shape is None:
                raise ValueError(f"Sequential '{self.name}' has no Input: pass the input shape, "
                                 "e.g. model.build((None, 784)).")
            shape = tuple(input_shape)
            self._adopt_input(InputLayer(shape=shape[1:], batch_size=shape[0]))
        self.built = True

    def _build_from(self, args) -> None:
        """First call on data without a declared input: the data's shape becomes the input (as in Keras)."""
        if self._input_layer is None and len(args) == 1 and torch.is_tensor(args[0]) and args[0].dim() > 0:
            sample = args[0]
            shape = layout.user_shape(tuple(sample.shape), self.data_format)[1:]
            self._adopt_input(InputLayer(shape=shape, dtype=sample.dtype), device=sample.device)
        self.built = True

    def pop(self) -> torch.nn.Module:
        """Remove and return the last layer."""
        if not self._modules:
            raise ValueError("There is no layer to pop: the model is empty.")
        name = next(reversed(self._modules))
        layer = self._modules.pop(name)
        if self._input_layer is not None:
            self._adopt_input(self._input_layer, self._input_tensor)
        return layer

    def call(self, inputs, *args, **kwargs):
        for layer in self._modules.values():
            inputs = layer(inputs)
        return inputs

    # ------------------------------------------------------------------ symbolic structure
    def _symbolic(self, which: str) -> SymbolicTensor:
        tensor = self._input_tensor if which == "input" else self._output_tensor
        if tensor is None:
            raise NotBuiltError(f"Sequential model '{self.name}' has no defined {which} yet: its input shape is "
                                "unknown. Start it with Input(shape=...), call model.build((None, ...)), or call it "
                                "on data once.")
        return tensor

    @property
    def input(self) -> SymbolicTensor:
        """The symbolic input tensor (``Input``)."""
        return self._symbolic("input")

    @property
    def output(self) -> SymbolicTensor:
        """The last layer's symbolic output."""
        return self._symbolic("output")

    @property
    def inputs(self) -> list:
        """``[model.input]``, or [] before the input is known."""
        return [self._input_tensor] if self._input_tensor is not None else []

    @property
    def outputs(self) -> list:
        """``[model.output]``, or [] before the input is known."""
        return [self._output_tensor] if self._output_tensor is not None else []

    def _integer_inputs(self) -> bool:
        if self._input_layer is not None:
            return not self._input_layer.input_dtype.is_floating_point
        first = next(iter(self._modules.values()), None)
        return bool(getattr(first, "integer_input", False))

    @property
    def layers(self) -> list[torch.nn.Module]:
        return list(self._modules.values())

    @property
    def input_shape(self) -> tuple | None:
        """Declared input shape in user layout (batch None), if any."""
        if self._input_layer is None:
            return None
        return (None, *self._input_layer.shape)

    def get_config(self) -> dict:
        from glassnet import serialization
        from glassnet.serialization import to_json_value
        layers = []
        for layer in self.layers:
            if not hasattr(layer, "get_config"):
                raise TypeError(f"Cannot save layer '{layer.name}' ({type(layer).__name__}): it is a plain "
                                "torch module without get_config. Use save_weights() and rebuild in code.")
            layers.append({"class_name": serialization.registered_name(type(layer)), "config": layer.get_config()})
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


def _call(layer: torch.nn.Module, tensor: SymbolicTensor) -> SymbolicTensor:
    """``layer`` called on a symbolic tensor (plain torch modules too)."""
    return symbolic.symbolic_call(layer, (tensor,), {})
