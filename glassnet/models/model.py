"""``Model``: a trainable network, built the functional way or by subclassing.

Functional (Keras)::

    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    model = Model(inputs=inputs, outputs=Dense(10, activation='softmax')(x))

Subclassing: define layers in ``__init__`` and the computation in ``call``.
Either way the model is a real ``torch.nn.Module`` and has Keras' training API
(``compile / fit / evaluate / predict``), inherited from :class:`glassnet.training.trainer.Trainer`.

>>> from glassnet import Input
>>> from glassnet.layers import Dense
>>> inputs = Input(shape=(3,))
>>> Model(inputs, Dense(2)(inputs)).count_params()
8
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet import layout
from glassnet.layers.base import Layer
from glassnet.modes import evaluating
from glassnet.models import functional
from glassnet.models.functional import Graph, graph_from_config
from glassnet.naming import snake_case
from glassnet.training.trainer import Trainer


class Model(Trainer, Layer):
    """A network of layers with Keras' training API (:class:`~glassnet.training.trainer.Trainer`).
    See the module docstring."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.compiled = None  # a training.CompileConfig once compile() ran
        self.stop_training = False
        self.history = None
        self._shuffle_seed: int | None = None
        self._graph: Graph | None = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both inputs= and outputs=.")
            self._init_graph(inputs, outputs)

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._graph = Graph(inputs, outputs)
        for layer in self._graph.layers:
            self._register_layer(layer)
        self.built = True

    def _register_layer(self, layer: torch.nn.Module) -> None:
        if any(existing is layer for existing in self._modules.values()):
            return  # a shared layer, already registered
        if getattr(layer, "_auto_named", True) or not hasattr(layer, "name"):
            layer.name = self._free_name(snake_case(type(layer).__name__))
        name = layer.name
        existing = self._modules.get(name)
        if existing is not None and existing is not layer:
            raise ValueError(f"Two different layers are named '{name}' in model '{self.name}'; names must be "
                             "unique. Give one of them another name=.")
        if existing is None and hasattr(type(self), name):
            raise ValueError(f"Layer name '{name}' clashes with the Model attribute of that name; rename it.")
        self.add_module(name, layer)

    def _free_name(self, base: str) -> str:
        """'dense', 'dense_1', ... — the first name not yet used in this model."""
        name, index = base, 0
        while name in self._modules or hasattr(type(self), name):
            index += 1
            name = f"{base}_{index}"
        return name

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        """Run the model on inputs in the user's layout: the model's :class:`~glassnet.layout.InputAdapter`
        converts images once at this boundary (nested models pass them through)."""
        adapter = layout.InputAdapter(self.data_format, keep_integer=self._integer_inputs())
        return adapter.call(super().forward, *args, **kwargs)

    def _integer_inputs(self) -> bool:
        if self._graph is None:
            return False
        return any(not layer.input_dtype.is_floating_point for layer in self._graph.input_layers)

    def _build_from(self, args) -> None:
        self.built = True  # sublayers build themselves on first use

    def build(self, input_shape) -> None:
        """Build the weights for inputs of ``input_shape`` (user layout, batch first), Keras-style.

        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(2)]); m.build((None, 5)); m.count_params()
        12
        """
        nested = isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple))
        shapes = [tuple(shape) for shape in input_shape] if nested else [tuple(input_shape)]
        examples = [torch.zeros((1, *shape[1:])) for shape in shapes]
        self._run_example(examples if nested else examples[0])
        self._built_input_shapes = [[None, *shape[1:]] for shape in shapes]  # summary() can show it now

    def _run_example(self, example):
        with evaluating(self), torch.no_grad():
            return self(example)

    def call(self, inputs, *args, **kwargs):
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} subclasses Model but defines no call(self, inputs) "
                                      "method. Define it (the computation from inputs to outputs).")
        return self._graph.run(inputs)

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list[torch.nn.Module]:
        """The model's layers in order: a functional model's InputLayers first, as in Keras;
        a subclassed model's direct children."""
        if self._graph is not None:
            return [*self._graph.input_layers, *self._graph.layers]
        return list(self.children())

    def get_layer(self, name: str | None = None, index: int | None = None) -> torch.nn.Module:
        """A layer by name or position.

        >>> from glassnet.layers import Dense
        >>> Sequential([Dense(2, name='out')]).get_layer('out').name
        'out'
        """
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if getattr(layer, "name", None) == name:
                return layer
        if self._graph is None and name:  # a subclassed model's attribute path: 'layer4', 'layer4.1.conv2'
            try:
                return self.get_submodule(name)
            except AttributeError:
                pass
        names = [getattr(layer, "name", "?") for layer in self.layers]
        raise ValueError(f"No layer named '{name}' in model '{self.name}'. Layers: {', '.join(names)}.")

    @property
    def inputs(self) -> list:
        """The symbolic input tensors (``Input(...)``); [] for a model whose input is unknown."""
        return functional.model_inputs(self)

    @property
    def outputs(self) -> list:
        """The symbolic output tensors; [] for a model whose input is unknown."""
        return functional.model_outputs(self)

    @property
    def input(self) -> Any:
        """The symbolic input (a list if several): ``Model(base.input, base.get_layer(name).output)``."""
        return functional.model_input(self)

    @property
    def output(self) -> Any:
        """The symbolic output (a list if several)."""
        return functional.model_output(self)

    @property
    def output_names(self) -> list[str]:
        """Names used for per-output losses and logs (the output layers' names)."""
        if self._graph is not None:
            return [layer.name for layer in self._graph.output_layers]
        return ["output"]

    def summary(self, line_length: int | None = None, positions: list | None = None, print_fn=None,
                expand_nested: bool = False, show_trainable: bool = False) -> str:
        """Print a table of layers: output shape, parameters (trainable / non-trainable), FLOPs.
        Keras' arguments; ``print_fn`` is called once per line."""
        from glassnet.models.summary import summary
        return summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                       expand_nested=expand_nested, show_trainable=show_trainable)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        if self._graph is not None:
            return {"name": self.name, "trainable": self.trainable, **self._graph.get_config()}
        return super().get_config()

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Model":
        if "nodes" in config and "layers" in config:
            inputs, outputs = graph_from_config(config, custom_objects)
            model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
            model.trainable = config.get("trainable", True)
            return model
        return cls(**config)

    # ------------------------------------------------------------------ saving
    def save(self, filepath: str) -> None:
        """Save architecture (JSON), weights (safetensors) and optimizer state to one file, atomically."""
        from glassnet.models.saving import save_model
        save_model(self, filepath)

    def save_weights(self, filepath: str) -> None:
        """Save the weights alone as safetensors, atomically."""
        from glassnet.models.saving import save_weights
        save_weights(self, filepath)

    def load_weights(self, filepath: str, strict: bool = True) -> None:
        """Load weights saved by ``save_weights`` (safetensors) or a torch state dict (.pt/.pth)."""
        from glassnet.models.saving import load_weights
        load_weights(self, filepath, strict=strict)

    def export(self, filepath: str, format: str = "glassnet", **kwargs):
        """Export for deployment as 'glassnet' (bundle folder), 'onnx' or 'torch' (see :mod:`glassnet.export`)."""
        from glassnet.export import export
        return export(self, filepath, format=format, **kwargs)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (Keras' ``to_json``; see :mod:`glassnet.models.cloning`)."""
        from glassnet.models.cloning import to_json
        return to_json(self, **kwargs)


from glassnet.models.sequential import Sequential  # noqa: E402  (Sequential subclasses Model)
