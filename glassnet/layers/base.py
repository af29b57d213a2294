"""The Layer base class: a real ``torch.nn.Module`` with Keras manners.

A layer creates its weights the first time it sees data (``build``), so users
give only output sizes — ``Dense(64)`` — as in Keras. Subclasses implement
``build(input_shape)`` and ``call(inputs)``; shapes inside are PyTorch's (NCHW
for images, see :mod:`glassnet.layout`). Constructor arguments are recorded
automatically and become ``get_config()``, so every layer can be saved as JSON.

>>> import torch
>>> class Scale(Layer):
...     def __init__(self, factor=2.0, **kwargs):
...         super().__init__(**kwargs)
...         self.factor = factor
...     def call(self, x):
...         return x * self.factor
>>> Scale(3.0)(torch.ones(2)).tolist()
[3.0, 3.0]
>>> Scale(3.0).get_config()['factor']
3.0
"""

from __future__ import annotations

import functools
import inspect
import itertools
from typing import Any, Iterable

import numpy as np
import torch
from torch import nn
from torch.utils import _pytree as pytree

from glassnet import activations, initializers, layout, serialization, symbolic
from glassnet.config import resolve_data_format
from glassnet.errors import GlassnetError, ShapeError
from glassnet.naming import snake_case, unique_name
from glassnet.symbolic import SymbolicTensor, contains_symbolic, symbolic_call

_BASE_ARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_size", "batch_input_shape")


def _record_init_args(init):
    """Wrap a subclass ``__init__`` so the outermost call stores its arguments."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        if "_init_args" not in self.__dict__:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            recorded = {}
            for pname, value in list(bound.arguments.items())[1:]:
                kind = signature.parameters[pname].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    recorded.update(value)
                elif kind is not inspect.Parameter.VAR_POSITIONAL:
                    recorded[pname] = value
            object.__setattr__(self, "_init_args", recorded)
        init(self, *args, **kwargs)

    return wrapper


class Layer(nn.Module):
    """Base class of all glassnet layers and models.

    Keyword arguments shared by every layer: ``name``, ``trainable``,
    ``input_shape`` / ``input_dim`` / ``batch_size`` (to declare the model's
    input on its first layer, Keras-style).
    """

    _emit_logits = False  # set by the trainer on output layers whose softmax/sigmoid it fuses into the loss

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        serialization.register(cls)
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__dict__["__init__"])

    def __init__(self, *, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 input_shape: Iterable[int] | None = None, input_dim: int | None = None,
                 batch_size: int | None = None, batch_input_shape: Iterable | None = None, **unknown):
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(unknown))}.")
        super().__init__()
        if name is not None and ("." in name or not name):
            raise ValueError(f"Layer name '{name}' must be non-empty and contain no '.'.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._auto_named = name is None  # a model renames it by position, so weight keys are reproducible
        self.built = False
        self._trainable = trainable
        self.data_format = resolve_data_format(None)
        self._weight_buffers: list[str] = []
        self._build_device: torch.device | None = None
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            batch_size, input_shape = batch_input_shape[0], tuple(batch_input_shape[1:])
        self._batch_input_shape = (batch_size, *input_shape) if input_shape is not None else None

    # ------------------------------------------------------------------ calling
    def __call__(self, *args, **kwargs):
        # plain tensors are never symbolic: skip flattening the arguments (~10 µs a call)
        if not all(isinstance(a, torch.Tensor) for a in args):
            if contains_symbolic(args):
                return symbolic_call(self, args, kwargs)
            args = _arrays_to_tensors(args, self)
        return super().__call__(*args, **kwargs)

    @property
    def input(self) -> Any:
        """The symbolic input of this layer's first call in a functional graph (Keras' ``layer.input``)."""
        return symbolic.layer_input(self)

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first call: ``Model(model.input, layer.output)``
        is a feature extractor."""
        return symbolic.layer_output(self)

    def forward(self, *args, **kwargs):
        if not self.built:
            self._build_from(args)
        if torch.compiler.is_compiling():
            return self.call(*args, **kwargs)
        try:
            return self.call(*args, **kwargs)
        except (RuntimeError, IndexError) as err:
            if isinstance(err, GlassnetError):
                raise
            raise self._explain_failure(args, err) from err

    def build(self, input_shape) -> None:
        """Create weights for inputs of ``input_shape`` (internal layout, batch first)."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The computation; subclasses override it (Keras' ``call``)."""
        return inputs

    def _build_from(self, args) -> None:
        shapes = [tuple(a.shape) for a in _tensors(args)]
        devices = [a.device for a in _tensors(args)]
        self._build_device = devices[0] if devices else None
        self.build(shapes[0] if len(shapes) == 1 else shapes)
        self.built = True

    def _explain_failure(self, args, err: Exception) -> Exception:
        shapes = [layout.user_shape(tuple(a.shape), self.data_format) for a in _tensors(args)]
        shown = shapes[0] if len(shapes) == 1 else shapes
        text = str(err).split("\n")[0]
        hint = self._shape_hint(shapes[0] if shapes else None) or ""
        if any(w in text for w in ("shape", "size", "dimension", "Expected", "channels", "out of range")):
            return ShapeError(f"Layer '{self.name}' ({type(self).__name__}) cannot take an input of shape "
                              f"{shown}: {text}. {hint}".strip())
        err.add_note(f"(raised in layer '{self.name}' ({type(self).__name__}) on input of shape {shown})")
        return err

    def _shape_hint(self, input_shape) -> str | None:
        """A sentence telling the user how to fix a wrong input shape, or None."""
        return None

    def _activate(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``self.activation`` unless the trainer fused it into the loss."""
        if self._emit_logits:
            return x
        if self.activation is activations.softmax:
            return torch.softmax(x, dim=layout.internal_axis(-1, x.dim(), self.data_format))
        return self.activation(x)

    # ------------------------------------------------------------------ weights
    def add_weight(self, name: str, shape: Iterable[int], initializer: Any = "glorot_uniform",
                   trainable: bool = True, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Create, initialise and register a weight; non-trainable ones become buffers.

        >>> class Bias(Layer):
        ...     def build(self, shape):
        ...         self.b = self.add_weight('b', (shape[-1],), 'zeros')
        >>> layer = Bias(); _ = layer(torch.ones(1, 3)); layer.count_params()
        3
        """
        init = initializers.get(initializer)
        value = init(tuple(shape), dtype=dtype)
        if self._build_device is not None:
            value = value.to(self._build_device)
        if trainable:
            param = nn.Parameter(value, requires_grad=self._trainable)
            self.register_parameter(name, param)
            return param
        self.register_buffer(name, value)
        self._weight_buffers.append(name)
        return value

    @property
    def trainable(self) -> bool:
        """Keras' switch: False freezes every weight of this layer and its sublayers
        (and runs batch norm in inference mode)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for module in self.modules():
            if isinstance(module, Layer):
                object.__setattr__(module, "_trainable", bool(value))
            for param in module.parameters(recurse=False):
                param.requires_grad_(bool(value))

    @property
    def weights(self) -> list[torch.Tensor]:
        """All weights: parameters, then non-trainable weight buffers (e.g. BN moving stats)."""
        return [*self.parameters(), *self._weight_buffer_tensors()]

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        """Weights that training updates."""
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        """Frozen parameters and statistics such as batch-norm moving averages."""
        return [*(p for p in self.parameters() if not p.requires_grad), *self._weight_buffer_tensors()]

    def _weight_buffer_tensors(self) -> list[torch.Tensor]:
        found = []
        for module in self.modules():
            names = getattr(module, "_weight_buffers", ())
            found += [getattr(module, n) for n in names]
        return found

    def count_params(self) -> int:
        """Number of weights, counted as Keras does (BN moving mean/variance included).

        >>> from glassnet.layers import Dense
        >>> Dense(10, input_dim=784).count_params()
        7850
        """
        if not self.built and self._batch_input_shape is not None:
            self(torch.zeros((1, *self._batch_input_shape[1:])))
        return int(sum(w.numel() for w in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        """Weights as numpy arrays (PyTorch layout), in ``weights`` order."""
        return [w.detach().cpu().numpy() for w in self.weights]

    def set_weights(self, values: list) -> None:
        """Load numpy arrays in ``weights`` order; shapes must match."""
        targets = self.weights
        if len(values) != len(targets):
            raise ShapeError(f"Layer '{self.name}' has {len(targets)} weights, got {len(values)} arrays.")
        with torch.no_grad():
            for target, value in zip(targets, values):
                value = torch.as_tensor(np.asarray(value))
                if tuple(value.shape) != tuple(target.shape):
                    raise ShapeError(f"Layer '{self.name}': weight of shape {tuple(target.shape)} "
                                     f"cannot take an array of shape {tuple(value.shape)}.")
                target.copy_(value)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The constructor arguments, as JSON-ready values (Keras' ``get_config``)."""
        config = dict(getattr(self, "_init_args", {}))
        config["name"] = self.name
        config["trainable"] = self.trainable
        if "data_format" in config:
            config["data_format"] = self.data_format
        if self._batch_input_shape is not None:
            for key in ("input_shape", "input_dim", "batch_size"):
                config.pop(key, None)
            config["batch_input_shape"] = list(self._batch_input_shape)
        return serialization.to_json_value(config)

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        """Rebuild a layer from :meth:`get_config`'s output."""
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


def _arrays_to_tensors(args: tuple, module: nn.Module) -> tuple:
    """NumPy arrays among ``args`` as tensors on ``module``'s device (float64 becomes float32, as
    in Keras; integer arrays keep their dtype for Embedding and friends)."""
    def convert(value):
        if not isinstance(value, np.ndarray):
            return value
        tensor = torch.from_numpy(np.ascontiguousarray(value))
        tensor = tensor.float() if tensor.dtype == torch.float64 else tensor
        weight = next(itertools.chain(module.parameters(), module.buffers()), None)
        return tensor.to(weight.device) if weight is not None else tensor
    return tuple(pytree.tree_map(convert, list(args)))


def _tensors(args) -> list[torch.Tensor]:
    out = []
    for a in args:
        if torch.is_tensor(a):
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out += _tensors(a)
        elif isinstance(a, dict):
            out += _tensors(list(a.values()))
    return out


__all__ = ["Layer", "SymbolicTensor"]
