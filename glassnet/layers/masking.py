"""Masking: mark the time steps whose features all equal ``mask_value`` as padding.

Downstream layers that use masks (LSTM, GRU, SimpleRNN, RNN, Bidirectional...) then skip
those steps, and a mask reaching the model's output makes the loss ignore them
(see :mod:`glassnet.masking`).

>>> import torch
>>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]])
>>> Masking()(x)._keras_mask.tolist()
[[True, False, True]]
"""

from __future__ import annotations

import torch

from glassnet.layers.base import Layer


class Masking(Layer):
    """Mask every step whose features all equal ``mask_value`` (Keras' ``Masking``); masked steps
    are also set to zero in the output, as in Keras.

    >>> import torch
    >>> Masking(mask_value=-1.0)(torch.tensor([[[-1.0], [2.0]]])).tolist()
    [[[0.0], [2.0]]]
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def call(self, inputs):
        keep = self.compute_mask(inputs)
        return torch.where(keep.unsqueeze(-1), inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_mask(self, inputs, mask=None):
        """True where some feature of the step differs from ``mask_value``.

        >>> import torch
        >>> Masking().compute_mask(torch.tensor([[[0.0], [1.0]]])).tolist()
        [[False, True]]
        """
        return (inputs != self.mask_value).any(dim=-1)


__all__ = ["Masking"]
