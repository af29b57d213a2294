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

from glassnet import activations, initializers, layout, logits, masking, modes, serialization, symbolic
from glassnet.config import resolve_data_format
from glassnet.errors import GlassnetError, ShapeError
from glassnet.naming import snake_case, unique_name
from glassnet.symbolic import SymbolicTensor, contains_symbolic, symbolic_call
from glassnet.variables import Variable

_BASE_ARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_size", "batch_input_shape",
              "activity_regularizer")


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
    input on its first layer, Keras-style), ``activity_regularizer``.

    Weights: ``state_dict()`` is PyTorch's (names and layouts of ``torch.nn``:
    a Dense ``weight`` is (units, in), a Conv2D ``weight`` (out, in, kh, kw)), so
    torch checkpoints load unchanged. ``get_weights()`` / ``set_weights()`` speak
    Keras: arrays in Keras' layouts (Dense kernel (in, units), Conv2D kernel
    (kh, kw, in, out), depthwise (kh, kw, in, multiplier)), layer by layer in
    Keras' order (BN: gamma, beta, moving mean, moving variance), so weights move
    between Keras and glassnet code as they are.

    Extra losses: ``add_loss(tensor)`` in ``call``, weight regularizers and
    ``activity_regularizer`` show in ``layer.losses`` (a list of scalar tensors,
    sublayers included): the terms added during the layer's last call plus the
    weight penalties, computed fresh when read. ``fit`` adds their sum to the loss.
    """

    _call_takes_training = False
    _call_takes_mask = False
    #: Keras' flag: True if the layer passes an input mask on unchanged (see :mod:`glassnet.masking`)
    supports_masking = False
    compute_mask = masking._default_compute_mask

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        serialization.register(cls)
        cls._call_takes_training = "training" in inspect.signature(cls.call).parameters
        cls._call_takes_mask = "mask" in inspect.signature(cls.call).parameters
        if "__init__" in cls.__dict__:
            cls.__init__ = _record_init_args(cls.__dict__["__init__"])

    def __init__(self, *, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 input_shape: Iterable[int] | None = None, input_dim: int | None = None,
                 batch_size: int | None = None, batch_input_shape: Iterable | None = None,
                 activity_regularizer: Any = None, **unknown):
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
        self._losses: list[torch.Tensor] = []  # add_loss terms of the last call
        self._regularizers: dict[str, Any] = {}  # weight name -> regularizer
        self._constraints: dict[str, Any] = {}  # weight name -> constraint (see glassnet.constraints)
        self._variable_keys: dict[int, str] = {}  # id(weight) -> name it is registered under
        from glassnet import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
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
        """Run the layer. ``training=True/False`` (Keras' call argument) runs this one call in that
        mode and then restores each sublayer's own mode; it is passed on to ``call`` if ``call``
        takes it."""
        if "training" not in kwargs:
            return self._run(args, kwargs)
        training = kwargs["training"] if self._call_takes_training else kwargs.pop("training")
        with modes.training_mode(self, training):
            return self._run(args, kwargs)

    def _run(self, args: tuple, kwargs: dict):
        if not self.built:
            self._build_from(args)
        if self._losses:
            self._losses.clear()  # add_loss terms are those of the last call, as in Keras
        compiling = torch.compiler.is_compiling()
        mask = None if compiling else masking.input_mask(args)  # a mask travelling on the input (glassnet.masking)
        if mask is not None and self._call_takes_mask and kwargs.get("mask") is None:
            kwargs["mask"] = mask
        if compiling:
            outputs = self.call(*args, **kwargs)
        else:
            try:
                outputs = self.call(*args, **kwargs)
            except (RuntimeError, IndexError) as err:
                if isinstance(err, GlassnetError):
                    raise
                raise self._explain_failure(args, err) from err
        if not compiling and (mask is not None or type(self).compute_mask is not masking._default_compute_mask):
            masking.set_output_mask(self, args, outputs, mask)  # (a compiled graph carries no tensor attributes)
        if self.activity_regularizer is not None:
            for output in _tensors([outputs]):
                self._losses.append(self.activity_regularizer(output))
        return outputs

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
        """Apply ``self.activation``; a softmax/sigmoid output keeps its logits attached
        (:mod:`glassnet.logits`) so a crossentropy loss can use them."""
        if self.activation is activations.softmax:
            return logits.attach(torch.softmax(x, dim=layout.internal_axis(-1, x.dim(), self.data_format)),
                                 x, "softmax")
        if self.activation is activations.sigmoid:
            return logits.attach(torch.sigmoid(x), x, "sigmoid")
        return self.activation(x)

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape: Iterable[int] | None = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                   constraint: Any = None, aggregation: str = "none", name: str | None = None) -> torch.Tensor:
        """Create, initialise and register a weight (Keras 3's signature) and return it: a
        :class:`~glassnet.variables.Variable` (an ``nn.Parameter`` with ``.value``, ``.assign``,
        ``.numpy()``...). Trainable weights are parameters, non-trainable ones buffers (``state_dict``
        entries the optimizer leaves alone).

        Without ``name`` the weight is registered as 'variable' ('variable_1', ...) and
        renamed after the attribute you assign it to (``self.w = self.add_weight(...)``
        becomes ``w`` in ``state_dict``). glassnet's older order ``add_weight(name, shape,
        initializer)`` works too. ``regularizer`` adds a penalty to :attr:`losses`;
        ``constraint`` is applied after each optimizer step (Keras layout, see
        :mod:`glassnet.constraints`).

        >>> class Scale(Layer):
        ...     def build(self, shape):
        ...         self.w = self.add_weight(shape=(shape[-1],), initializer='ones', regularizer='l2')
        ...     def call(self, x):
        ...         return x * self.w
        >>> layer = Scale(); _ = layer(torch.ones(1, 3))
        >>> list(layer.state_dict()), round(layer.losses[0].item(), 4)
        (['w'], 0.03)
        """
        if isinstance(shape, str):  # glassnet's / Keras 2's order: add_weight(name, shape, initializer)
            name, shape, initializer, dtype = shape, initializer, dtype, None
        from glassnet import constraints, regularizers
        from glassnet.layers.core import as_torch_dtype

        if shape is None:
            shape = ()
        torch_dtype = as_torch_dtype(dtype)
        if initializer is None:
            initializer = "glorot_uniform" if torch_dtype.is_floating_point else "zeros"
        value = initializers.get(initializer)(tuple(shape), dtype=torch_dtype)
        if self._build_device is not None:
            value = value.to(self._build_device)
        key = name if name is not None else self._free_weight_name()
        weight = Variable.wrap(value.detach())
        weight.requires_grad_(bool(trainable and self._trainable and value.is_floating_point()))
        if trainable:
            self.register_parameter(key, weight)
        else:
            self.register_buffer(key, weight)
            self._weight_buffers.append(key)
        self._variable_keys[id(weight)] = key
        if regularizer is not None:
            self._regularizers[key] = regularizers.get(regularizer)
        if constraint is not None:
            self._constraints[key] = constraints.get(constraint)
        return weight

    def _apply(self, fn, recurse: bool = True):
        """Moving or casting the layer (``.to(device)``) keeps non-trainable Variables Variables
        (torch replaces buffers with plain tensors)."""
        variables = [n for n in self.__dict__.get("_weight_buffers", ()) if isinstance(self._buffers.get(n), Variable)]
        result = super()._apply(fn, recurse)
        for name in variables:
            if not isinstance(self._buffers[name], Variable):
                self._buffers[name] = Variable.wrap(self._buffers[name])
        return result

    def _free_weight_name(self) -> str:
        name, index = "variable", 0
        while name in self._parameters or name in self._buffers or name in self.__dict__:
            index += 1
            name = f"variable_{index}"
        return name

    def __setattr__(self, name: str, value: Any) -> None:
        keys = self.__dict__.get("_variable_keys")
        if keys and isinstance(value, torch.Tensor) and id(value) in keys:
            self._rename_weight(keys.pop(id(value)), name, value)
            return
        super().__setattr__(name, value)

    def _rename_weight(self, old: str, new: str, value: torch.Tensor) -> None:
        """Register a weight made by add_weight under the attribute name it is assigned to."""
        if old == new:
            return
        if new in self.__dict__:  # e.g. ``self.kernel = None`` in __init__, the weight made in build()
            del self.__dict__[new]
        if old in self._parameters:
            del self._parameters[old]
            self.register_parameter(new, value)
        else:
            del self._buffers[old]
            self._weight_buffers[self._weight_buffers.index(old)] = new
            self.register_buffer(new, value)
        for table in (self._regularizers, self._constraints):
            if old in table:
                table[new] = table.pop(old)

    # ------------------------------------------------------------------ extra losses
    def add_loss(self, loss: Any) -> None:
        """Add a scalar term to the training loss (call it inside ``call``; Keras' ``add_loss``).

        >>> class Penalised(Layer):
        ...     def call(self, x):
        ...         self.add_loss(x.abs().mean())
        ...         return x
        >>> layer = Penalised(); _ = layer(torch.tensor([-2.0, 4.0])); layer.losses[0].item()
        3.0
        """
        if isinstance(loss, SymbolicTensor):
            raise TypeError(f"add_loss on '{self.name}' got a symbolic tensor (from a functional graph). As in "
                            "Keras 3, add the term inside a layer's call(): write a small layer whose call does "
                            "self.add_loss(...) and returns its input, and put it in the graph.")
        self._losses.append(torch.as_tensor(loss, dtype=torch.float32) if not torch.is_tensor(loss) else loss)

    @property
    def losses(self) -> list[torch.Tensor]:
        """Scalar loss terms of this layer and its sublayers: ``add_loss`` and activity-regularizer
        terms from the last call, then weight-regularizer penalties (computed now, with gradients).

        >>> from glassnet.layers import Dense
        >>> layer = Dense(1, input_dim=2, kernel_initializer='ones', kernel_regularizer='l1')
        >>> [round(t.item(), 4) for t in layer.losses]
        [0.02]
        """
        found: list[torch.Tensor] = []
        for module in unique_modules(self):  # read every step by fit: a lean walk, not modules()
            state = module.__dict__
            if state.get("_losses"):
                found += state["_losses"]
            for key, regularizer in state.get("_regularizers", {}).items():  # seen in Keras' layout
                found.append(regularizer(module._keras_layout(key, getattr(module, key))))
        return found

    def apply_constraints(self) -> int:
        """Project constrained weights (this layer and sublayers) onto their constraints; returns how many.
        The trainer calls it after every optimizer step (:func:`glassnet.constraints.apply_all`).

        >>> from glassnet.layers import Dense
        >>> Dense(1, input_dim=2, kernel_constraint='non_neg').apply_constraints()
        1
        """
        from glassnet.constraints import apply_all
        return apply_all(self)

    def _keras_layout(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        """Weight ``name`` viewed in Keras' layout (overridden where torch's differs, e.g. Dense, Conv)."""
        return weight

    def _torch_layout(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`_keras_layout`: a Keras-layout value in this layer's torch layout."""
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

    def _keras_weight_entries(self) -> list[tuple[nn.Module, str, torch.Tensor]]:
        """(module, name, weight) layer by layer, each layer's parameters then its statistics (Keras' order)."""
        entries = []
        for module in self.modules():
            hidden = module.__dict__.get("_keras_hidden_weights", ())  # part of another Keras array (RNN biases)
            for name, param in module.named_parameters(recurse=False):
                if name not in hidden:
                    entries.append((module, name, param))
            for name in module.__dict__.get("_weight_buffers", ()):
                entries.append((module, name, getattr(module, name)))
        return entries

    def get_weights(self) -> list[np.ndarray]:
        """Weights as numpy arrays in Keras' layouts and order (see the class docstring).

        >>> from glassnet.layers import Dense
        >>> [w.shape for w in Dense(3, input_dim=2).get_weights()]  # kernel (in, units), bias
        [(2, 3), (3,)]
        """
        return [_keras_view(module, name, w).detach().cpu().numpy().copy()  # copies, as Keras returns
                for module, name, w in self._keras_weight_entries()]

    def set_weights(self, values: list) -> None:
        """Load numpy arrays in Keras' layouts and order (``get_weights``' format); shapes must match."""
        entries = self._keras_weight_entries()
        if len(values) != len(entries):
            raise ShapeError(f"Layer '{self.name}' has {len(entries)} weights, got {len(values)} arrays. "
                             "Pass the list get_weights() returns (Keras' order and layouts).")
        with torch.no_grad():
            for (module, name, target), value in zip(entries, values):
                value = torch.as_tensor(np.asarray(value))
                expected = tuple(_keras_view(module, name, target).shape)
                if tuple(value.shape) != expected:
                    raise ShapeError(f"Layer '{getattr(module, 'name', self.name)}': weight '{name}' has Keras shape "
                                     f"{expected} and cannot take an array of shape {tuple(value.shape)}.")
                converted = module._torch_layout(name, value) if isinstance(module, Layer) else value
                target.copy_(converted)

    def reset_states(self) -> None:
        """Forget the state that stateful recurrent layers inside carry between batches (Keras 2's
        ``model.reset_states()``, called between epochs or independent sequences).

        >>> from glassnet.layers import Dense
        >>> Dense(2).reset_states()  # nothing stateful inside: nothing to do
        """
        for module in self.modules():
            if module is not self and getattr(module, "stateful", False) and hasattr(module, "reset_states"):
                module.reset_states()

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


def unique_modules(root: nn.Module) -> list[nn.Module]:
    """``root`` and every submodule once (shared ones once), 2-3x faster than ``modules()``: the
    per-step walks (``losses``, constraints) use it.

    >>> len(unique_modules(nn.Sequential(nn.Linear(1, 1), nn.ReLU())))
    3
    """
    found, seen, stack = [], set(), [root]
    while stack:
        module = stack.pop()
        if module is not None and id(module) not in seen:
            seen.add(id(module))
            found.append(module)
            stack.extend(module._modules.values())
    return found


def _keras_view(module: nn.Module, name: str, weight: torch.Tensor) -> torch.Tensor:
    return module._keras_layout(name, weight) if isinstance(module, Layer) else weight


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
