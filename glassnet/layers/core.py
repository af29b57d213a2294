"""Core layers: Input, Dense, Activation, Flatten (Dropout has its own module, glassnet.layers.dropout).

>>> import torch
>>> Dense(3, activation='relu')(torch.ones(2, 4)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

from typing import Any, Iterable

import torch
import torch.nn.functional as F

from glassnet import activations, constraints, initializers, regularizers, symbolic
from glassnet.layers.base import Layer
from glassnet.symbolic import SymbolicTensor

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
           "bfloat16": torch.bfloat16, "int32": torch.int32, "int64": torch.int64,
           "uint8": torch.uint8, "bool": torch.bool}


def as_torch_dtype(dtype: Any) -> torch.dtype:
    """'float32' / numpy / torch dtype -> torch dtype (None means float32).

    >>> as_torch_dtype('int64')
    torch.int64
    """
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    return _DTYPES[str(getattr(dtype, "name", dtype))]


class InputLayer(Layer):
    """The entry point of a functional model; created by :func:`Input`."""

    def __init__(self, shape: Iterable[int] | None = None, batch_size: int | None = None,
                 dtype: Any = None, name: str | None = None, **kwargs):
        kwargs.pop("batch_input_shape", None)
        super().__init__(name=name, **kwargs)
        self.shape = tuple(shape)
        self.batch_size = batch_size
        self.input_dtype = as_torch_dtype(dtype)
        self.built = True

    def get_config(self) -> dict:
        return {"shape": list(self.shape), "batch_size": self.batch_size,
                "dtype": str(self.input_dtype).replace("torch.", ""), "name": self.name}

    def call(self, inputs):
        return inputs


def Input(shape: Iterable[int] | None = None, batch_size: int | None = None, dtype: Any = None,
          name: str | None = None, batch_shape: Iterable[int] | None = None) -> SymbolicTensor:
    """Declare a model input of ``shape`` (without the batch), in the user's layout;
    ``None`` marks a size that may vary (sequence length, image side).

    >>> Input(shape=(28, 28, 1)).shape
    (None, 28, 28, 1)
    >>> Input(shape=(None, None, 3)).shape
    (None, None, None, 3)
    >>> Input(batch_shape=(16, 10, 5)).example.shape  # a fixed batch size: examples have it too
    torch.Size([16, 10, 5])
    """
    if batch_shape is not None:
        batch_size, shape = tuple(batch_shape)[0], tuple(batch_shape)[1:]
    if shape is None:
        raise ValueError("Input() needs shape= (one sample's shape, e.g. shape=(28, 28, 1)) or batch_shape=.")
    if isinstance(shape, int):
        shape = (shape,)
    layer = InputLayer(shape=tuple(shape), batch_size=batch_size, dtype=dtype, name=name)
    return symbolic.input_tensor(layer)


class Dense(Layer):
    """Fully connected layer: ``activation(x @ W.T + b)`` on the last axis.

    Weights use PyTorch's names and layout (``weight`` is (units, in)), so
    ``nn.Linear`` state dicts load as they are; ``get_weights()`` gives Keras'
    kernel (in, units). Regularizers and constraints as in Keras
    (``kernel_regularizer='l2'``, ``kernel_constraint=max_norm(3)``, ...).

    >>> layer = Dense(64, input_dim=784)
    >>> layer.count_params()
    50240
    >>> [w.shape for w in layer.get_weights()]
    [(784, 64), (64,)]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense(units={units}): units must be a positive integer.")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if self._batch_input_shape is not None:
            self._build_from([torch.zeros((1, *self._batch_input_shape[1:]))])

    def build(self, input_shape) -> None:
        in_features = input_shape[-1]
        self.weight = self.add_weight((self.units, in_features), self.kernel_initializer, name="weight",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _keras_layout(self, name, weight):
        return weight.t() if name == "weight" else weight

    def _torch_layout(self, name, value):
        return value.t() if name == "weight" else value

    def call(self, inputs):
        return self._activate(F.linear(inputs, self.weight, self.bias))

    def _shape_hint(self, input_shape) -> str | None:
        expected = self.weight.shape[1]
        if input_shape is not None and len(input_shape) > 2:
            return (f"It was built for {expected} features per sample. If these are images, flatten them "
                    f"first (x.reshape(len(x), -1)) or add a Flatten() layer before it.")
        return f"It was built for inputs with {expected} features on the last axis."


class Activation(Layer):
    """Apply an activation function by name or callable.

    >>> Activation('relu')(torch.tensor([-1.0, 1.0])).tolist()
    [0.0, 1.0]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, activation: Any, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self._activate(inputs)


class Flatten(Layer):
    """Flatten each sample to a vector.

    With channels-last data the order is (H, W, C), as in Keras — and on
    channels-last memory this is free (no copy). ``data_format='channels_first'``
    flattens in PyTorch's (C, H, W) order (torchvision classifiers expect it).

    >>> Flatten()(torch.zeros(2, 3, 4, 5)).shape
    torch.Size([2, 60])
    """

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        from glassnet.config import resolve_data_format
        self.data_format = resolve_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_last" and inputs.dim() in (4, 5):
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], -1)
