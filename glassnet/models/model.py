"""``Model``: a trainable network, built the functional way or by subclassing.

Functional (Keras)::

    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    model = Model(inputs=inputs, outputs=Dense(10, activation='softmax')(x))

Subclassing: define layers in ``__init__`` and the computation in ``call``.
Either way the model is a real ``torch.nn.Module`` and has Keras' training API
(``compile / fit / evaluate / predict``), implemented in :mod:`glassnet.training`.

>>> from glassnet import Input
>>> from glassnet.layers import Dense
>>> inputs = Input(shape=(3,))
>>> Model(inputs, Dense(2)(inputs)).count_params()
8
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils import _pytree as pytree

from glassnet import layout
from glassnet.errors import NotCompiledError
from glassnet.layers.base import Layer
from glassnet.models.functional import Graph, graph_from_config
from glassnet.naming import snake_case


class Model(Layer):
    """A network of layers with Keras' training API. See the module docstring."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.compiled = None  # a training.CompiledSetup once compile() ran
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
        if layout.is_converted_inside():
            return super().forward(*args, **kwargs)
        keep = self._integer_inputs()
        args = _map_tensors(lambda t: layout.to_internal(t, self.data_format, keep), args)
        with layout.inside_model():
            outputs = super().forward(*args, **kwargs)
        return _map_tensors(lambda t: layout.to_user(t, self.data_format), outputs)

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
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
            example = [torch.zeros((1, *shape[1:])) for shape in input_shape]
        else:
            example = torch.zeros((1, *tuple(input_shape)[1:]))
        self._run_example(example)

    def _run_example(self, example):
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return self(example)
        finally:
            self.train(was_training)

    def call(self, inputs, *args, **kwargs):
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} subclasses Model but defines no call(self, inputs) "
                                      "method. Define it (the computation from inputs to outputs).")
        return self._graph.run(inputs)

    # ------------------------------------------------------------------ structure
    @property
    def layers(self) -> list[torch.nn.Module]:
        """The model's layers (direct children), in order."""
        if self._graph is not None:
            return self._graph.layers
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
        names = [getattr(layer, "name", "?") for layer in self.layers]
        raise ValueError(f"No layer named '{name}' in model '{self.name}'. Layers: {', '.join(names)}.")

    @property
    def inputs(self) -> list:
        return self._graph.input_tensors if self._graph is not None else []

    @property
    def outputs(self) -> list:
        return self._graph.output_tensors if self._graph is not None else []

    @property
    def output_names(self) -> list[str]:
        """Names used for per-output losses and logs (the output layers' names)."""
        if self._graph is not None:
            return [layer.name for layer in self._graph.output_layers]
        return ["output"]

    def output_layers(self) -> list[torch.nn.Module]:
        """The layers producing the outputs (used to fuse softmax into the loss)."""
        if self._graph is not None:
            return self._graph.output_layers
        return []

    def summary(self, print_fn=None, expand_nested: bool = False) -> str:
        """Print a table of layers: output shape, parameters (trainable / non-trainable), FLOPs."""
        from glassnet.models.summary import summary
        return summary(self, print_fn=print_fn, expand_nested=expand_nested)

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

    # ------------------------------------------------------------------ training API
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, device: str | torch.device | None = None,
                precision: str = "auto", compile: bool = False, **kwargs) -> None:
        """Configure training: optimizer, loss, metrics; the device, precision ('auto' uses bf16
        mixed precision where the hardware has it, 'float32' forces full precision) and
        ``compile=True`` for ``torch.compile`` (it pays on GPUs; on CPUs the benchmark in
        benchmarks/RESULTS.md found small models slower compiled).

        >>> from glassnet.layers import Dense
        >>> m = Sequential([Dense(1, input_dim=2)])
        >>> m.compile(optimizer='sgd', loss='mse')
        """
        from glassnet.training.setup import CompiledSetup
        self.compiled = CompiledSetup(self, optimizer, loss, metrics, loss_weights, device, precision,
                                      compile, **kwargs)

    @property
    def optimizer(self):
        """The glassnet optimizer given to compile (None before)."""
        return self.compiled.optimizer if self.compiled is not None else None

    def _require_compiled(self, what: str):
        if self.compiled is None:
            raise NotCompiledError(f"You must compile the model before calling {what}(): e.g. "
                                   f"model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                                   f"metrics=['accuracy']).")
        return self.compiled

    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1, verbose: Any = "auto",
            callbacks=None, validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight=None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1):
        """Train for ``epochs`` epochs; returns a ``History`` (Keras semantics)."""
        arguments = {k: v for k, v in locals().items() if k != "self"}
        from glassnet.training.loop import fit
        return fit(self, **arguments)

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight=None, steps: int | None = None, callbacks=None, return_dict: bool = False):
        """Loss and metrics on the given data (a scalar if there are no metrics, else a list)."""
        arguments = {k: v for k, v in locals().items() if k != "self"}
        from glassnet.training.loop import evaluate
        return evaluate(self, **arguments)

    def predict(self, x, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks=None) -> np.ndarray:
        """Outputs for ``x`` as numpy arrays."""
        arguments = {k: v for k, v in locals().items() if k != "self"}
        from glassnet.training.loop import predict
        return predict(self, **arguments)

    def train_step(self, data) -> dict[str, torch.Tensor]:
        """One optimisation step on a batch ``(x, y, sample_weight)``; override it for custom training.

        Return a dict of scalar tensors (at least 'loss'); don't call ``.item()`` here —
        the loop reads values only when the progress bar refreshes.
        """
        from glassnet.training.steps import train_step
        return train_step(self, data)

    def test_step(self, data) -> dict[str, torch.Tensor]:
        """Loss and metric updates on one batch, without training."""
        from glassnet.training.steps import test_step
        return test_step(self, data)

    def predict_step(self, data):
        """Outputs for one batch of inputs."""
        from glassnet.training.steps import predict_step
        return predict_step(self, data)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None) -> torch.Tensor:
        """The total (weighted) loss of a batch; override to add terms."""
        return self.compiled.compute_loss(y, y_pred, sample_weight)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict: bool = False):
        """One training step on one batch; returns the loss (and metrics)."""
        from glassnet.training.loop import train_on_batch
        return train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict: bool = False):
        """Loss (and metrics) on one batch, without training."""
        from glassnet.training.loop import test_on_batch
        return test_on_batch(self, x, y, sample_weight, return_dict)

    def predict_on_batch(self, x) -> np.ndarray:
        """Outputs for one batch as numpy."""
        from glassnet.training.loop import predict_on_batch
        return predict_on_batch(self, x)

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


def _map_tensors(fn, tree):
    """``fn`` applied to every tensor in ``tree``. A lone tensor or a plain tuple of tensors (the
    usual case, every step) skips pytree's flatten and unflatten, which cost more than the map."""
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if type(tree) is tuple and all(isinstance(t, torch.Tensor) for t in tree):
        return tuple(fn(t) for t in tree)
    return pytree.tree_map(lambda t: fn(t) if torch.is_tensor(t) else t, tree)


from glassnet.models.sequential import Sequential  # noqa: E402  (Sequential subclasses Model)
