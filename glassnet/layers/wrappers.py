"""Layer wrappers: Bidirectional (read a sequence both ways) and TimeDistributed (the same layer at every step).

>>> import torch
>>> from glassnet.layers import LSTM, Dense
>>> Bidirectional(LSTM(4))(torch.ones(2, 5, 3)).shape
torch.Size([2, 8])
>>> TimeDistributed(Dense(6))(torch.ones(2, 5, 3)).shape
torch.Size([2, 5, 6])
"""

from __future__ import annotations

import copy
import re
from typing import Any

import torch

from glassnet import layout, serialization
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.layers.recurrent import sequence_hint

_MERGES = {
    "concat": lambda a, b: torch.cat([a, b], dim=-1),
    "sum": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "ave": lambda a, b: (a + b) / 2,
}


def _layer_from(config: dict) -> Layer:
    return serialization.get_class(config["class_name"]).from_config(config["config"])


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards over the sequence and merge the
    two outputs (``merge_mode`` 'concat' (default), 'sum', 'mul', 'ave', or None for a list).

    The backward copy is ``backward_layer`` or a fresh layer of the same configuration with
    ``go_backwards`` flipped; with ``return_sequences`` its outputs are put back in time order
    before merging, so step t of both halves describes the same input step. A bidirectional
    ``nn.LSTM``/``nn.GRU`` state dict loads as it is (``_reverse`` weights go to the backward half). With
    ``return_state`` the forward states follow the output, then the backward ones. Masks are
    used by both halves (padded steps output zeros, as in Keras).

    >>> import torch
    >>> from glassnet.layers import GRU
    >>> out = Bidirectional(GRU(3, return_sequences=True), merge_mode='sum')(torch.ones(2, 4, 5))
    >>> out.shape
    torch.Size([2, 4, 3])
    """

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", backward_layer: Layer | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if merge_mode not in (*_MERGES, None):
            raise ValueError(f"Bidirectional(merge_mode={merge_mode!r}): use 'concat', 'sum', 'mul', 'ave' or None.")
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise TypeError(f"Bidirectional needs a recurrent layer (SimpleRNN, LSTM, GRU, RNN), got "
                            f"{type(layer).__name__}.")
        if backward_layer is None:
            config = {**layer.get_config(), "go_backwards": not layer.go_backwards, "name": f"backward_{layer.name}"}
            backward_layer = _copy_layer(layer, config)
        elif backward_layer.go_backwards == layer.go_backwards:
            raise ValueError("Bidirectional: backward_layer must have go_backwards opposite to the forward layer's "
                             f"({layer.go_backwards}).")
        for part in (layer, backward_layer):
            if part.return_sequences != layer.return_sequences or part.return_state != layer.return_state:
                raise ValueError("Bidirectional: the forward and backward layers must agree on return_sequences "
                                 "and return_state.")
            part.zero_output_for_mask = part.return_sequences  # as Keras: padded steps give zeros
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        self.stateful = layer.stateful
        self._register_load_state_dict_pre_hook(_torch_bidirectional_keys)

    def call(self, inputs, initial_state=None, mask=None, training=None):
        if inputs.dim() < 3:
            raise ShapeError(sequence_hint(self, tuple(inputs.shape)))
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        options = {"mask": mask, **({"training": training} if training is not None else {})}
        y_f = self.forward_layer(inputs, initial_state=forward_state, **options)
        y_b = self.backward_layer(inputs, initial_state=backward_state, **options)
        states: list[torch.Tensor] = []
        if self.return_state:
            states = [*y_f[1:], *y_b[1:]]
            y_f, y_b = y_f[0], y_b[0]
        if self.return_sequences:
            y_b = y_b.flip(1)
        merged = [y_f, y_b] if self.merge_mode is None else [_MERGES[self.merge_mode](y_f, y_b)]
        if not self.return_state and len(merged) == 1:
            return merged[0]
        return [*merged, *states]

    def compute_mask(self, inputs, mask=None):
        """The input mask on sequence outputs (``return_sequences``), none on states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        masks = [output_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (2 * self.forward_layer._state_count())
        return masks[0] if len(masks) == 1 else masks

    def reset_states(self, states: Any = None) -> None:
        """Reset both halves' carried states (stateful layers)."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    @property
    def summary_note(self) -> str | None:
        return getattr(self.forward_layer, "summary_note", None)

    def get_config(self) -> dict:
        config = super().get_config()
        if config.get("backward_layer") is None:
            config.pop("backward_layer", None)
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Bidirectional":
        config = dict(config)
        config["layer"] = _layer_from(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = _layer_from(config["backward_layer"])
        return cls(**config)


def _torch_bidirectional_keys(state_dict, prefix, *args) -> None:
    """Let a bidirectional ``nn.LSTM``/``GRU``/``RNN`` state dict load: its ``weight_ih_l0`` is the forward
    layer's, ``weight_ih_l0_reverse`` the backward layer's."""
    for key in list(state_dict):
        name = key[len(prefix):]
        if key.startswith(prefix) and re.fullmatch(r"(weight|bias)_(ih|hh)_l0(_reverse)?", name):
            half = "backward_layer." if name.endswith("_reverse") else "forward_layer."
            state_dict[prefix + half + name.removesuffix("_reverse")] = state_dict.pop(key)


def _copy_layer(layer: Layer, config: dict) -> Layer:
    """A fresh layer of ``layer``'s class from ``config`` (a deep copy if the class cannot rebuild from it)."""
    try:
        return type(layer).from_config(config)
    except (TypeError, KeyError):
        twin = copy.deepcopy(layer)
        twin.go_backwards = config["go_backwards"]
        twin.name = config["name"]
        return twin


class TimeDistributed(Layer):
    """Apply ``layer`` to every time step on its own: input (batch, timesteps, ...) is run as
    (batch·timesteps, ...) through ``layer`` and reshaped back. One set of weights serves
    all steps (e.g. ``TimeDistributed(Dense(n))`` after an LSTM with ``return_sequences``, or
    ``TimeDistributed(Conv2D(...))`` on video frames). A mask passes through.

    >>> import torch
    >>> from glassnet.layers import Dense
    >>> layer = TimeDistributed(Dense(2))
    >>> layer(torch.ones(3, 4, 5)).shape, layer.count_params()
    (torch.Size([3, 4, 2]), 12)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, torch.nn.Module):
            raise TypeError(f"TimeDistributed(layer): {type(layer).__name__} is not a layer.")
        self.layer = layer

    def call(self, inputs, training=None):
        if inputs.dim() < 3:
            raise ShapeError(f"TimeDistributed '{self.name}' needs input (batch, timesteps, ...), got shape "
                             f"{tuple(inputs.shape)}: it applies its layer to each time step.")
        fmt = self.data_format
        user = layout.to_user(inputs, fmt) if inputs.dim() in (4, 5) else inputs
        batch, steps = user.shape[:2]
        frames = user.reshape(batch * steps, *user.shape[2:])
        if frames.dim() in (4, 5):
            frames = layout.to_internal(frames, fmt, keep_integer=True)
        options = {"training": training} if training is not None else {}
        out = self.layer(frames, **options)
        out = layout.to_user(out, fmt) if out.dim() in (4, 5) else out
        out = out.reshape(batch, steps, *out.shape[1:])
        return layout.to_internal(out, fmt, keep_integer=True) if out.dim() in (4, 5) else out

    @property
    def summary_note(self) -> str | None:
        return f"each step: {type(self.layer).__name__}"

    @classmethod
    def from_config(cls, config: dict) -> "TimeDistributed":
        config = dict(config)
        config["layer"] = _layer_from(config["layer"])
        return cls(**config)


__all__ = ["Bidirectional", "TimeDistributed"]
