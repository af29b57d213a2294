"""Recurrent cells: one time step of SimpleRNN, LSTM and GRU, and the weights they share.

A recurrent network is one small network copied along time, each copy passing a
message (its state) to its successor. With input weights U and recurrent weights W,
the state after step t is ``s(t) = f(U·x(t) + W·s(t−1) + b)``: the *same* U, W and b
at every step. A *cell* is that small network for one step, with Keras' cell API:
``cell(x_t, states) -> (output, new_states)`` and ``cell.state_size``.
:class:`~glassnet.layers.recurrent.RNN` runs any cell over a sequence (your own
cells too); SimpleRNN, LSTM and GRU use the same step maths, or torch's fused kernels.

Weights use torch's names and layout (``nn.RNNCell``/``LSTMCell``/``GRUCell``:
``weight_ih`` (k·units, in), ``weight_hh`` (k·units, units), ``bias_ih``, ``bias_hh``),
so torch state dicts load by name. ``get_weights()`` speaks Keras: ``kernel`` (in, k·units),
``recurrent_kernel`` (units, k·units) and one ``bias``. Gate order: LSTM i, f, c(g), o in
both; GRU is z, r, h in Keras and r, z, n in torch (the first two blocks are swapped).

>>> import torch
>>> cell = LSTMCell(4)
>>> out, (h, c) = cell(torch.ones(2, 3), [torch.zeros(2, 4), torch.zeros(2, 4)])
>>> out.shape, c.shape
(torch.Size([2, 4]), torch.Size([2, 4]))
>>> [w.shape for w in cell.get_weights()]  # Keras: kernel, recurrent_kernel, bias
[(3, 16), (4, 16), (16,)]
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from glassnet import activations, constraints, initializers, regularizers
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.random import SeedStream, keep_mask

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def swap_gru_gates(value: torch.Tensor, axis: int) -> torch.Tensor:
    """Keras' GRU gate blocks (z, r, h) <-> torch's (r, z, n) along ``axis`` (the swap is its own inverse).

    >>> swap_gru_gates(torch.arange(6.0), 0).tolist()
    [2.0, 3.0, 0.0, 1.0, 4.0, 5.0]
    """
    first, second, third = value.chunk(3, dim=axis)
    return torch.cat([second, first, third], dim=axis)


def dropout_mask(like: torch.Tensor, rate: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A (batch, features) keep-mask scaled by 1/(1-rate), drawn once and reused at every step
    (Keras' RNN dropout: the same units are dropped for the whole sequence); ``generator``: the
    layer's seeded one (``seed=``), or None for torch's global generator.

    >>> dropout_mask(torch.ones(2, 3), 0.0).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    return keep_mask(like.shape, rate, like, generator).to(like.dtype) / (1.0 - rate)


class RecurrentWeights(Layer):
    """The weights of one recurrent step (shared by the cells and SimpleRNN/LSTM/GRU) and the step maths.

    Subclasses set ``kind`` ('rnn', 'lstm' or 'gru') and call :meth:`_setup` with the Keras
    arguments. Names carry ``_suffix`` ('' on cells, '_l0' on layers, as torch's ``nn.LSTM``).
    Keras has one bias where torch has two: for SimpleRNN, LSTM and GRU(reset_after=False)
    ``bias_hh`` is a zero buffer (loaded from a torch state dict, never trained) and Keras'
    bias is ``bias_ih + bias_hh``; GRU(reset_after=True) trains both, Keras' (2, 3·units) bias.
    """

    kind = "rnn"
    _suffix = ""

    def _setup(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
               use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
               recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
               kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
               kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
               dropout: float = 0.0, recurrent_dropout: float = 0.0, unit_forget_bias: bool = False,
               reset_after: bool = False, seed: int | None = None) -> None:
        name = type(self).__name__
        if int(units) <= 0:
            raise ValueError(f"{name}(units={units}): units must be a positive integer.")
        for label, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{name}({label}={rate}): a dropout rate must be in [0, 1).")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self._seeds = SeedStream(seed)  # the dropout masks' generator
        self.unit_forget_bias = bool(unit_forget_bias)
        self.reset_after = bool(reset_after)

    # ------------------------------------------------------------------ weights
    @property
    def _gates(self) -> int:
        return GATES[self.kind]

    @property
    def _two_biases(self) -> bool:
        """True when both torch biases are trained weights (GRU with reset_after)."""
        return self.kind == "gru" and self.reset_after

    def _names(self) -> tuple[str, str, str, str]:
        s = self._suffix
        return f"weight_ih{s}", f"weight_hh{s}", f"bias_ih{s}", f"bias_hh{s}"

    def build(self, input_shape) -> None:
        if isinstance(input_shape, list):  # a cell called on (inputs, states): the inputs decide
            input_shape = input_shape[0]
        if len(input_shape) < 2:
            raise ShapeError(f"{type(self).__name__} '{self.name}' needs inputs of shape (batch, features), got "
                             f"{tuple(input_shape)}.")
        size, features = self._gates * self.units, int(input_shape[-1])
        w_ih, w_hh, b_ih, b_hh = self._names()
        setattr(self, w_ih, self.add_weight((size, features), self._keras_init(self.kernel_initializer, w_ih),
                                            name=w_ih, regularizer=self.kernel_regularizer,
                                            constraint=self.kernel_constraint))
        setattr(self, w_hh, self.add_weight((size, self.units), self._keras_init(self.recurrent_initializer, w_hh),
                                            name=w_hh, regularizer=self.recurrent_regularizer,
                                            constraint=self.recurrent_constraint))
        if not self.use_bias:
            setattr(self, b_ih, None)
            setattr(self, b_hh, None)
            return
        setattr(self, b_ih, self.add_weight((size,), self._bias_init(0), name=b_ih,
                                            regularizer=self.bias_regularizer, constraint=self.bias_constraint))
        if self._two_biases:
            setattr(self, b_hh, self.add_weight((size,), self._bias_init(1), name=b_hh))
        else:
            self.register_buffer(b_hh, torch.zeros(size, device=self._build_device))
        self._keras_hidden_weights = (b_hh,)

    def _keras_init(self, initializer: Callable, name: str) -> Callable:
        """An initializer drawing in Keras' layout (in, k·units) and returning torch's layout."""
        def make(shape, dtype=None):
            return self._torch_layout(name, initializer((shape[1], shape[0]), dtype=dtype))
        return make

    def _bias_init(self, row: int) -> Callable:
        """Keras' bias initial value (row ``row`` of GRU's (2, 3·units) bias); LSTM's unit_forget_bias
        sets the forget gate's bias to ones."""
        def make(shape, dtype=None):
            if self.kind == "lstm" and self.unit_forget_bias:
                u = self.units
                parts = [self.bias_initializer((u,), dtype=dtype), torch.ones(u, dtype=dtype),
                         self.bias_initializer((2 * u,), dtype=dtype)]
                return torch.cat(parts)
            if self._two_biases:
                return swap_gru_gates(self.bias_initializer((2, shape[0]), dtype=dtype)[row], 0)
            value = self.bias_initializer(shape, dtype=dtype)
            return swap_gru_gates(value, 0) if self.kind == "gru" else value
        return make

    def _keras_layout(self, name: str, weight: torch.Tensor) -> torch.Tensor:
        w_ih, w_hh, b_ih, b_hh = self._names()
        gru = self.kind == "gru"
        if name in (w_ih, w_hh):
            return swap_gru_gates(weight, 0).t() if gru else weight.t()
        if name == b_ih:
            other = getattr(self, b_hh)
            if self._two_biases:
                return torch.stack([swap_gru_gates(weight, 0), swap_gru_gates(other, 0)])
            return swap_gru_gates(weight + other, 0) if gru else weight + other
        return weight

    def _torch_layout(self, name: str, value: torch.Tensor) -> torch.Tensor:
        """Keras layout -> torch's. Setting Keras' bias also sets ``bias_hh`` (its second row for GRU
        with reset_after, else zeros)."""
        w_ih, w_hh, b_ih, b_hh = self._names()
        gru = self.kind == "gru"
        if name in (w_ih, w_hh):
            value = value.t()
            return swap_gru_gates(value, 0) if gru else value
        if name == b_ih:
            other = getattr(self, b_hh, None)
            if self._two_biases:
                if other is not None:
                    with torch.no_grad():
                        other.copy_(swap_gru_gates(value[1], 0))
                value = value[0]
            elif other is not None:
                with torch.no_grad():
                    other.zero_()
            return swap_gru_gates(value, 0) if gru else value
        return value

    def _weights(self) -> tuple:
        return tuple(getattr(self, n) for n in self._names())

    # ------------------------------------------------------------------ one step
    def input_projection(self, inputs: torch.Tensor) -> torch.Tensor:
        """``x·Uᵀ + b_ih`` for every step at once (one matrix product instead of one per step)."""
        w_ih, _, b_ih, _ = self._weights()
        return F.linear(inputs, w_ih, b_ih)

    def step(self, projected: torch.Tensor, states: list[torch.Tensor],
             recurrent_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One time step from the projected input and the previous states: ``(output, new_states)``.
        ``recurrent_mask`` (recurrent dropout) multiplies the previous output where it enters W."""
        _, w_hh, _, b_hh = self._weights()
        h = states[0]
        h_in = h if recurrent_mask is None else h * recurrent_mask
        if self.kind == "rnn":
            h = self.activation(projected + F.linear(h_in, w_hh, b_hh))
            return h, [h]
        if self.kind == "lstm":
            i, f, g, o = (projected + F.linear(h_in, w_hh, b_hh)).chunk(4, dim=-1)
            gate = self.recurrent_activation
            c = gate(f) * states[1] + gate(i) * self.activation(g)
            h = gate(o) * self.activation(c)
            return h, [h, c]
        x_r, x_z, x_n = projected.chunk(3, dim=-1)
        if self.reset_after:
            h_r, h_z, h_n = F.linear(h_in, w_hh, b_hh).chunk(3, dim=-1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            n = self.activation(x_n + r * h_n)
        else:
            w_r, w_z, w_n = w_hh.chunk(3, dim=0)
            b_r, b_z, b_n = b_hh.chunk(3) if b_hh is not None else (None, None, None)
            r = self.recurrent_activation(x_r + F.linear(h_in, w_r, b_r))
            z = self.recurrent_activation(x_z + F.linear(h_in, w_z, b_z))
            n = self.activation(x_n + F.linear(r * h_in, w_n, b_n))
        h = n + z * (h - n)  # z·h + (1 − z)·n
        return h, [h]

    def _state_count(self) -> int:
        return 2 if self.kind == "lstm" else 1

    def get_initial_state(self, batch_size: int, device: Any = None, dtype: Any = None) -> list[torch.Tensor]:
        """Zero states for ``batch_size`` sequences (Keras' ``get_initial_state``)."""
        return [torch.zeros(batch_size, self.units, device=device, dtype=dtype or torch.float32)
                for _ in range(self._state_count())]


class _Cell(RecurrentWeights):
    """A cell's call: ``(inputs (batch, features), states) -> (output, new_states)``."""

    @property
    def state_size(self) -> int | list[int]:
        """Sizes of the states (Keras' ``state_size``): units, or [units, units] for LSTM."""
        return [self.units, self.units] if self.kind == "lstm" else self.units

    @property
    def output_size(self) -> int:
        return self.units

    def call(self, inputs, states=None, training=None):
        if inputs.dim() != 2:
            raise ShapeError(f"{type(self).__name__} '{self.name}' takes one time step of shape (batch, features), "
                             f"got {tuple(inputs.shape)}. Wrap it in RNN(cell) to run it over (batch, timesteps, "
                             "features) sequences.")
        if states is None:
            states = self.get_initial_state(inputs.shape[0], inputs.device, inputs.dtype)
        states = [states] if torch.is_tensor(states) else list(states)
        active = self.training if training is None else training
        if active and self.dropout:
            inputs = inputs * dropout_mask(inputs, self.dropout, self._seeds.generator(inputs.device))
        mask = (dropout_mask(states[0], self.recurrent_dropout, self._seeds.generator(inputs.device))
                if active and self.recurrent_dropout else None)
        return self.step(self.input_projection(inputs), states, mask)


class SimpleRNNCell(_Cell):
    """One step of a simple RNN: ``h = activation(U·x + W·h_prev + b)``; output and state are ``h``.

    >>> import torch
    >>> out, states = SimpleRNNCell(3)(torch.ones(2, 5), [torch.zeros(2, 3)])
    >>> out.shape, len(states)
    (torch.Size([2, 3]), 1)
    """

    kind = "rnn"

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._setup(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed=seed)


class LSTMCell(_Cell):
    """One LSTM step: input, forget and output gates (``recurrent_activation``, sigmoid) decide what
    the cell state ``c`` takes in, keeps and shows; states are ``[h, c]``.

    >>> import torch
    >>> LSTMCell(3).state_size
    [3, 3]
    """

    kind = "lstm"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                    unit_forget_bias=unit_forget_bias, seed=seed)


class GRUCell(_Cell):
    """One GRU step: an update gate ``z`` mixes the old state with a candidate built through a reset
    gate ``r``. ``reset_after=True`` (Keras 3's default, torch's and cuDNN's formula) applies ``r``
    after the recurrent product, with a second, recurrent bias (Keras' bias is (2, 3·units)).

    >>> import torch
    >>> cell = GRUCell(2); _ = cell(torch.ones(1, 3), [torch.zeros(1, 2)])
    >>> [w.shape for w in cell.get_weights()]
    [(3, 6), (2, 6), (2, 6)]
    """

    kind = "gru"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, reset_after=reset_after,
                    seed=seed)


__all__ = ["RecurrentWeights", "SimpleRNNCell", "LSTMCell", "GRUCell", "swap_gru_gates", "dropout_mask", "GATES"]
