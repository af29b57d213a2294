"""Recurrent layers: SimpleRNN, LSTM, GRU, and RNN(cell) for any cell.

A recurrent layer reads a sequence (batch, timesteps, features) one step at a time,
carrying a state from step to step; unfolded in time it is one network copied once
per step, every copy with the same weights. It returns the last output
(many-to-one: sentiment), or every step's output with ``return_sequences=True``
(many-to-many: tagging), and its final states with ``return_state=True``.

Which kernel runs (Keras' cuDNN rule, on torch): SimpleRNN/LSTM/GRU call torch's fused
``nn.RNN``/``nn.LSTM``/``nn.GRU`` kernels (cuDNN on a GPU) whenever the options allow —
activation tanh (or relu for SimpleRNN), recurrent_activation sigmoid, no
recurrent_dropout, ``unroll=False``, GRU ``reset_after=True``, ``use_cudnn`` not False,
and a mask (if any) that pads on the right (then the sequences are *packed*). Otherwise a
step loop over the cell maths runs. ``layer.path`` says which one the options choose,
``layer.last_path`` which one ran last (a left-padded mask also takes the loop), and
``summary()`` shows it. Both give the same numbers (tests check it).

Masks (Keras 3): a mask travels on the tensor (from ``Embedding(mask_zero=True)`` or
``Masking``); padded steps neither change the state nor the output (the previous output is
repeated, or zeros with ``zero_output_for_mask=True``), so padding before or after a
sequence gives the same final result as no padding.

>>> import torch
>>> LSTM(8)(torch.ones(2, 5, 3)).shape
torch.Size([2, 8])
>>> out, h, c = LSTM(8, return_sequences=True, return_state=True)(torch.ones(2, 5, 3))
>>> out.shape, h.shape
(torch.Size([2, 5, 8]), torch.Size([2, 8]))
>>> GRU(4, recurrent_dropout=0.2).path
'step loop: recurrent_dropout'
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import torch
from torch import _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from glassnet import activations, serialization
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.recurrent_cells import RecurrentWeights, dropout_mask

# calling torch's kernels with our own (not flattened) weights: cuDNN compacts them per call, which is fine here
warnings.filterwarnings("ignore", message="RNN module weights are not part of single contiguous chunk")

FUSED = "fused (torch/cuDNN kernel)"


def sequence_hint(layer: Layer, shape: tuple) -> str:
    """The error for a non-3-D input to a recurrent layer: what it needs and how to get it."""
    kind = type(layer).__name__
    text = f"{kind} '{layer.name}' needs 3-D input (batch, timesteps, features), got shape {tuple(shape)}."
    if len(shape) == 2:
        n, t = shape
        text += (f" If these are {t} time steps of one value, add a feature axis: x.reshape({n}, {t}, 1) "
                 f"(or x[..., None]); if each row is one step of {t} features, use x.reshape({n}, 1, {t}). "
                 "Token ids go through an Embedding layer first.")
    elif len(shape) > 3:
        text += (" Images become sequences with Reshape((rows, -1)) (one row per step), or run a layer on "
                 "each step with TimeDistributed.")
    return text


def run_steps(step: Callable, inputs: torch.Tensor, states: list[torch.Tensor], mask: torch.Tensor | None,
              zero_output_for_mask: bool = False) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Loop ``step(x_t, states) -> (output, new_states)`` over axis 1 of ``inputs``.

    Where ``mask`` (batch, timesteps) is False the states are kept and the output is the
    previous one (zeros with ``zero_output_for_mask``). Returns (outputs stacked on axis 1,
    last output, final states).

    >>> outputs, last, states = run_steps(lambda x, s: (x + s[0], [x + s[0]]), torch.ones(1, 3, 1),
    ...                                   [torch.zeros(1, 1)], None)
    >>> outputs.flatten().tolist(), last.tolist()
    ([1.0, 2.0, 3.0], [[3.0]])
    """
    outputs, previous = [], None
    for t in range(inputs.shape[1]):
        output, new_states = step(inputs[:, t], states)
        new_states = [new_states] if torch.is_tensor(new_states) else list(new_states)
        if mask is not None:
            keep = mask[:, t]
            if previous is None or zero_output_for_mask:
                previous = torch.zeros_like(output)
            output = torch.where(_expand(keep, output), output, previous)
            new_states = [torch.where(_expand(keep, n), n, s) for n, s in zip(new_states, states)]
        states, previous = new_states, output
        outputs.append(output)
    if not outputs:
        raise ShapeError("A recurrent layer got a sequence of 0 time steps; give it at least one step.")
    return torch.stack(outputs, dim=1), outputs[-1], states


def _expand(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return mask.reshape(mask.shape + (1,) * (like.dim() - mask.dim()))


def right_padded(mask: torch.Tensor) -> bool:
    """True if every row of ``mask`` is some True steps followed by False ones (at least one True).

    >>> right_padded(torch.tensor([[True, True, False], [True, False, False]]))
    True
    >>> right_padded(torch.tensor([[False, True, True]]))
    False
    """
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    return bool((lengths > 0).all()) and torch.equal(steps[None, :] < lengths[:, None], mask)


def _reverse_within(inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Each sequence's first ``length`` steps in reverse order, the padding left where it is.

    >>> _reverse_within(torch.arange(4.0).reshape(1, 4, 1), torch.tensor([3])).flatten().tolist()
    [2.0, 1.0, 0.0, 3.0]
    """
    steps = torch.arange(inputs.shape[1], device=inputs.device)[None, :]
    index = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
    return inputs.gather(1, index[..., None].expand_as(inputs))


def _as_states(value: Any) -> list[torch.Tensor]:
    return [value] if torch.is_tensor(value) else list(value)


def _input_mask(mask: Any, inputs: torch.Tensor) -> torch.Tensor | None:
    if isinstance(mask, (list, tuple)):
        mask = mask[0] if mask else None
    if mask is None:
        return None
    mask = torch.as_tensor(mask, device=inputs.device).bool()
    if tuple(mask.shape) != tuple(inputs.shape[:2]):
        raise ShapeError(f"The mask has shape {tuple(mask.shape)} but the sequences are {tuple(inputs.shape[:2])} "
                         "(batch, timesteps): a mask needs one True/False per sample and step.")
    return mask


class _SequenceOptions:
    """Keras' sequence arguments and the state kept between calls by ``stateful`` layers (shared by RNN(cell)
    and SimpleRNN/LSTM/GRU)."""

    def _setup_sequence(self, return_sequences: bool, return_state: bool, go_backwards: bool, stateful: bool,
                        unroll: bool, zero_output_for_mask: bool) -> None:
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful = bool(go_backwards), bool(stateful)
        self.unroll, self.zero_output_for_mask = bool(unroll), bool(zero_output_for_mask)
        self.states: list[torch.Tensor] | None = None  # kept by stateful layers between calls

    def reset_states(self, states: Any = None) -> None:
        """Forget the state carried between batches (``stateful=True``), or set it to ``states``."""
        self.states = None if states is None else [torch.as_tensor(s).detach() for s in _as_states(states)]

    def reset_state(self, states: Any = None) -> None:
        """Keras 3's name for :meth:`reset_states`."""
        self.reset_states(states)

    def _start_states(self, inputs: torch.Tensor, initial_state: Any, zeros: Callable) -> list[torch.Tensor]:
        if initial_state is not None:
            return _as_states(initial_state)
        if self.stateful and self.states is not None and self.states[0].shape[0] == inputs.shape[0]:
            return [s.to(inputs.device) for s in self.states]
        # a batch of another size (summary()'s one sample, fit's dry run) starts afresh, as after reset_states():
        # sequence i of a batch continues sequence i of the previous batch only when the sizes agree
        return zeros(inputs.shape[0], inputs.device, inputs.dtype)

    def _finish(self, sequence: torch.Tensor, last: torch.Tensor, states: list[torch.Tensor]):
        if self.stateful:
            self.states = [s.detach() for s in states]
        output = sequence if self.return_sequences else last
        return [output, *states] if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        """The input mask on the sequence output (``return_sequences``), none on the last output or states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * self._state_count()
        return output_mask


class Recurrent(_SequenceOptions, RecurrentWeights):
    """SimpleRNN, LSTM and GRU: the sequence loop (fused kernel or steps) around :class:`RecurrentWeights`.
    Weight names are ``nn.RNN``/``nn.LSTM``/``nn.GRU``'s (``weight_ih_l0``, ...)."""

    _suffix = "_l0"

    def _setup_layer(self, return_sequences, return_state, go_backwards, stateful, unroll, use_cudnn,
                     zero_output_for_mask) -> None:
        self._setup_sequence(return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__}(use_cudnn={use_cudnn!r}): use 'auto', True or False.")
        self.use_cudnn = use_cudnn
        self.last_path: str | None = None
        if use_cudnn is True and self._blocker() is not None:
            raise ValueError(f"{type(self).__name__}(use_cudnn=True) cannot use the fused kernel: "
                             f"{self._blocker()} (see the fused-kernel rule in glassnet.layers.recurrent).")

    def build(self, input_shape) -> None:
        if len(input_shape) != 3:
            raise ShapeError(sequence_hint(self, input_shape))
        super().build(input_shape)

    def _blocker(self) -> str | None:
        """Why the options rule out torch's fused kernel (None if they allow it)."""
        allowed = (activations.tanh, activations.relu) if self.kind == "rnn" else (activations.tanh,)
        checks = [(self.use_cudnn is False, "use_cudnn=False"),
                  (self.activation not in allowed, "activation"),
                  (self.kind != "rnn" and self.recurrent_activation is not activations.sigmoid,
                   "recurrent_activation"),
                  (self.recurrent_dropout > 0, "recurrent_dropout"),
                  (self.unroll, "unroll"),
                  (self.kind == "gru" and not self.reset_after, "reset_after=False")]
        return next((reason for failed, reason in checks if failed), None)

    @property
    def path(self) -> str:
        """The kernel the options choose: 'fused (torch/cuDNN kernel)' or 'step loop: <reason>'."""
        reason = self._blocker()
        return FUSED if reason is None else f"step loop: {reason}"

    @property
    def summary_note(self) -> str:
        """What ``summary()`` shows under the layer's name: the kernel the options choose."""
        return self.path

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if inputs.dim() != 3:
            raise ShapeError(sequence_hint(self, tuple(inputs.shape)))
        mask = _input_mask(mask, inputs)
        states = self._start_states(inputs, initial_state, self.get_initial_state)
        active = self.training if training is None else training
        if active and self.dropout:
            dropped = dropout_mask(inputs[:, 0], self.dropout, self._seeds.generator(inputs.device))
            inputs = inputs * dropped.unsqueeze(1)
        reason = self._blocker()
        if reason is None and torch.compiler.is_compiling() and torch.is_grad_enabled():
            reason = "torch.compile"  # inductor's lowering of the fused CPU kernel fails with gradients (torch 2.13)
        if reason is None and mask is not None and not right_padded(mask):
            reason = "mask not right-padded"
        if reason is None and self.go_backwards and mask is not None and not bool(mask.all()):
            # a right-padded batch read backwards: reverse each sequence within its length, run packed, and
            # place the outputs where Keras' reversed loop puts them (after the padded steps, which give zeros)
            lengths = mask.sum(dim=1)
            self.last_path = FUSED + ", packed"
            sequence, states = self._run_fused(_reverse_within(inputs, lengths), states, mask, fill=False)
            shift = (torch.arange(inputs.shape[1], device=inputs.device)[None, :] - (inputs.shape[1] - lengths[:, None]))
            sequence = sequence.gather(1, (shift % inputs.shape[1])[..., None].expand_as(sequence))
            return self._finish(sequence, states[0], states)
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = mask.flip(1) if mask is not None else None
        if reason is None:
            self.last_path = FUSED if mask is None else FUSED + ", packed"
            sequence, states = self._run_fused(inputs, states, mask)
            return self._finish(sequence, states[0], states)
        self.last_path = f"step loop: {reason}"
        recurrent_mask = (dropout_mask(states[0], self.recurrent_dropout, self._seeds.generator(inputs.device))
                          if active and self.recurrent_dropout else None)
        projected = self.input_projection(inputs)
        sequence, last, states = run_steps(lambda x, s: self.step(x, s, recurrent_mask), projected, states, mask,
                                           self.zero_output_for_mask)
        return self._finish(sequence, last, states)

    def _run_fused(self, inputs: torch.Tensor, states: list[torch.Tensor], mask: torch.Tensor | None,
                   fill: bool = True):
        """torch's nn.RNN/LSTM/GRU kernel on our weights; a right-padded mask packs the sequences (padded
        steps output zeros, or with ``fill`` the last real output unless ``zero_output_for_mask``)."""
        if inputs.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            # oneDNN has no bf16 LSTM/GRU primitive here (torch's nn.LSTM fails alike): run it in float32
            with torch.autocast("cpu", enabled=False):
                return self._run_fused(inputs.float(), [s.float() for s in states], mask, fill)
        params = [w for w in self._weights() if w is not None]
        kernel = {"lstm": _VF.lstm, "gru": _VF.gru,
                  "rnn": _VF.rnn_tanh if self.activation is activations.tanh else _VF.rnn_relu}[self.kind]
        hx = [s.unsqueeze(0).contiguous() for s in states]
        hidden = hx if self.kind == "lstm" else hx[0]
        options = (params, self.use_bias, 1, 0.0, self.training, False)
        if mask is None or bool(mask.all()):
            result = kernel(inputs, hidden, *options, True)
            return result[0], [s.squeeze(0) for s in result[1:]]
        lengths = mask.sum(dim=1).cpu()
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        hx = [s.index_select(1, packed.sorted_indices) for s in hx]
        hidden = hx if self.kind == "lstm" else hx[0]
        result = kernel(packed.data, packed.batch_sizes, hidden, *options)
        out = PackedSequence(result[0], packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
        sequence = pad_packed_sequence(out, batch_first=True, total_length=inputs.shape[1])[0]
        states = [s.index_select(1, packed.unsorted_indices).squeeze(0) for s in result[1:]]
        if fill and not self.zero_output_for_mask:  # Keras repeats the last valid output on padded steps
            sequence = torch.where(mask[..., None], sequence, states[0][:, None, :])
        return sequence, states

    def _shape_hint(self, input_shape) -> str | None:
        if input_shape is not None and len(input_shape) != 3:
            return sequence_hint(self, input_shape)
        features = getattr(self, self._names()[0]).shape[1]
        return f"It was built for sequences with {features} features per step (batch, timesteps, {features})."

    def extra_repr(self) -> str:
        return f"name={self.name!r}, units={self.units}"


class SimpleRNN(Recurrent):
    """A fully connected RNN: ``s(t) = activation(U·x(t) + W·s(t−1) + b)``, output ``s(t)``.

    The course's names: ``U`` (units, features) reads the input, ``W`` (units, units) the
    previous state, ``b`` is the bias; a Dense layer after it plays ``V`` (output weights).
    Unfolded over a sequence of T steps, it is T copies of one network sharing U, W, b, each
    passing its state to the next: backpropagation through time sums each copy's gradient
    into the shared weights.

    >>> import torch
    >>> rnn = SimpleRNN(4); _ = rnn(torch.zeros(1, 3, 2))
    >>> rnn.U.shape, rnn.W.shape, rnn.b.shape
    (torch.Size([4, 2]), torch.Size([4, 4]), torch.Size([4]))
    >>> rnn.count_params()  # 2·4 + 4·4 + 4, as Keras counts
    28
    """

    kind = "rnn"

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, use_cudnn: Any = "auto", seed: int | None = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed=seed)
        self._setup_layer(return_sequences, return_state, go_backwards, stateful, unroll, use_cudnn,
                          zero_output_for_mask)

    @property
    def U(self) -> torch.Tensor:
        """Input weights U (units, features): the ``U·x(t)`` of ``s(t) = f(U·x(t) + W·s(t−1))``."""
        return self.weight_ih_l0

    @property
    def W(self) -> torch.Tensor:
        """Recurrent weights W (units, units): the ``W·s(t−1)`` of ``s(t) = f(U·x(t) + W·s(t−1))``."""
        return self.weight_hh_l0

    @property
    def b(self) -> torch.Tensor | None:
        """The bias (Keras' single bias: torch's ``bias_ih_l0 + bias_hh_l0``)."""
        return None if self.bias_ih_l0 is None else self.bias_ih_l0 + self.bias_hh_l0


class LSTM(Recurrent):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997): a cell state ``c`` runs along the
    sequence, changed only through gates (input i, forget f, output o; sigmoid) — gradients survive
    long sequences. Keras' arguments and defaults (``unit_forget_bias=True``: forget-gate bias 1).

    >>> import torch
    >>> layer = LSTM(16); _ = layer(torch.zeros(1, 5, 8))
    >>> layer.count_params()  # 4·16·(8 + 16 + 1), as Keras counts
    1600
    >>> sorted(layer.state_dict())  # torch's nn.LSTM names: its state dicts load
    ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']
    """

    kind = "lstm"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, use_cudnn: Any = "auto", seed: int | None = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout,
                    unit_forget_bias=unit_forget_bias, seed=seed)
        self._setup_layer(return_sequences, return_state, go_backwards, stateful, unroll, use_cudnn,
                          zero_output_for_mask)


class GRU(Recurrent):
    """Gated recurrent unit (Cho et al., 2014): an update gate z mixes the old state with a
    candidate computed through a reset gate r. ``reset_after=True`` (Keras 3's default) is
    torch's and cuDNN's formula, with two biases (Keras' bias has shape (2, 3·units)).

    >>> import torch
    >>> layer = GRU(16); _ = layer(torch.zeros(1, 5, 8))
    >>> layer.count_params()  # 3·16·(8 + 16 + 2), as Keras counts with reset_after
    1248
    """

    kind = "gru"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False, reset_after: bool = True,
                 zero_output_for_mask: bool = False, use_cudnn: Any = "auto", seed: int | None = None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
                    bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, reset_after=reset_after,
                    seed=seed)
        self._setup_layer(return_sequences, return_state, go_backwards, stateful, unroll, use_cudnn,
                          zero_output_for_mask)


class RNN(_SequenceOptions, Layer):
    """Run any cell over sequences (Keras' ``RNN``): the cell's ``call(inputs, states)`` returns
    ``(output, new_states)`` and its ``state_size`` gives the states' sizes. Works with
    SimpleRNNCell / LSTMCell / GRUCell and your own cells; always a step loop.

    >>> import torch
    >>> from glassnet.layers import LSTMCell
    >>> RNN(LSTMCell(4), return_sequences=True)(torch.ones(2, 6, 3)).shape
    torch.Size([2, 6, 4])
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            raise TypeError("RNN(cell) takes one cell. To stack cells, stack layers instead: "
                            "RNN(cell_1, return_sequences=True) followed by RNN(cell_2).")
        if not hasattr(cell, "state_size") or not callable(cell):
            raise TypeError(f"RNN(cell): {type(cell).__name__} is not a cell. A cell is a layer whose "
                            "call(inputs, states) returns (output, new_states) and that has a state_size attribute.")
        self.cell = cell
        self._setup_sequence(return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask)

    @property
    def path(self) -> str:
        return "step loop: RNN(cell)"

    summary_note = path

    def _state_count(self) -> int:
        size = self.cell.state_size
        return len(size) if isinstance(size, (list, tuple)) else 1

    def get_initial_state(self, batch_size: int, device: Any = None, dtype: Any = None) -> list[torch.Tensor]:
        """Zero states of the cell's ``state_size`` (or the cell's own ``get_initial_state``)."""
        if hasattr(self.cell, "get_initial_state"):
            return _as_states(self.cell.get_initial_state(batch_size, device=device, dtype=dtype))
        sizes = self.cell.state_size if isinstance(self.cell.state_size, (list, tuple)) else [self.cell.state_size]
        return [torch.zeros(batch_size, *(s if isinstance(s, (list, tuple)) else (s,)), device=device, dtype=dtype)
                for s in sizes]

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if inputs.dim() < 3:
            raise ShapeError(sequence_hint(self, tuple(inputs.shape)))
        mask = _input_mask(mask, inputs)
        states = self._start_states(inputs, initial_state, self.get_initial_state)
        if self.go_backwards:
            inputs = inputs.flip(1)
            mask = mask.flip(1) if mask is not None else None
        takes_training = getattr(self.cell, "_call_takes_training", False)

        def step(x, s):  # states go to the cell as a list, as in Keras
            if takes_training and training is not None:
                return self.cell(x, s, training=training)
            return self.cell(x, s)
        sequence, last, states = run_steps(step, inputs, states, mask, self.zero_output_for_mask)
        return self._finish(sequence, last, states)

    @classmethod
    def from_config(cls, config: dict) -> "RNN":
        config = dict(config)
        cell = config.pop("cell")
        config["cell"] = serialization.get_class(cell["class_name"]).from_config(cell["config"])
        return cls(**config)


__all__ = ["SimpleRNN", "LSTM", "GRU", "RNN", "Recurrent", "run_steps", "right_padded", "FUSED"]
