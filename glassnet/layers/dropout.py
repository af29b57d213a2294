"""Dropout: during training, zero a random fraction of the activations and scale the rest by 1 / (1 - rate),
so no unit can count on any other one being there (Srivastava et al., 2014); identity at inference.

``Dropout`` drops single activations; ``noise_shape`` shares one mask along the axes where it says 1.
``SpatialDropout1D/2D/3D`` drop whole feature maps (channels), the choice for convolutional and sequence
features, whose neighbouring activations are so correlated that dropping single ones barely regularizes.
``seed`` makes the masks repeat from run to run (a per-layer generator); without it they come from torch's
global generator, which ``glassnet.utils.set_random_seed`` seeds.

>>> import torch
>>> x = torch.ones(2, 3, 4)
>>> masks = SpatialDropout1D(0.5, seed=0)(x, training=True)  # (batch, steps, features)
>>> bool((masks == masks[:, :1]).all())  # the same features dropped at every step
True
>>> Dropout(0.5)(x, training=False).equal(x)
True
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet import layout
from glassnet.config import resolve_data_format
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.random import SeedStream, keep_mask


class Dropout(Layer):
    """Zero a fraction ``rate`` of inputs during training (scaling the rest); identity otherwise.

    ``noise_shape`` (Keras): the mask's shape in the input's layout, 1 where one draw is shared along
    an axis and None for the input's own size, e.g. ``(None, 1, None)`` for the same mask at every
    time step of (batch, steps, features).

    >>> Dropout(0.5).eval()(torch.ones(4)).tolist()
    [1.0, 1.0, 1.0, 1.0]
    >>> Dropout(0.5, noise_shape=(None, 1), seed=1)(torch.ones(2, 3), training=True)[0].unique().numel()
    1
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}.")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._seeds = SeedStream(seed)

    def _mask_shape(self, inputs: torch.Tensor) -> tuple[int, ...] | None:
        """The internal shape of the mask (None: one draw per activation)."""
        if self.noise_shape is None:
            return None
        shown = layout.user_shape(tuple(inputs.shape), self.data_format)
        if len(self.noise_shape) != len(shown):
            raise ShapeError(f"{type(self).__name__} '{self.name}': noise_shape {self.noise_shape} has "
                             f"{len(self.noise_shape)} axes but the input {shown} has {len(shown)}; give one "
                             "entry per input axis (None for the input's size, 1 to share the mask along it).")
        wanted = tuple(size if want is None else int(want) for want, size in zip(self.noise_shape, shown))
        if any(want not in (1, size) for want, size in zip(wanted, shown)):
            raise ShapeError(f"{type(self).__name__} '{self.name}': noise_shape {self.noise_shape} does not fit the "
                             f"input {shown}: each entry must be 1, None or the input's size on that axis.")
        return layout.internal_shape(wanted, self.data_format)

    def call(self, inputs, training: bool | None = None):
        active = self.training if training is None else training
        if not active or not self.rate:
            return inputs
        shape, generator = self._mask_shape(inputs), self._seeds.generator(inputs.device)
        if shape is None and generator is None and inputs.device.type != "cpu":
            return F.dropout(inputs, self.rate, training=True)
        return inputs * keep_mask(shape or inputs.shape, self.rate, inputs, generator) * (1.0 / (1.0 - self.rate))


class _SpatialDropout(Dropout):
    """Dropout of whole channels: one draw per (sample, channel), shared over the spatial/time axes."""

    rank = 1

    def _mask_shape(self, inputs: torch.Tensor) -> tuple[int, ...]:
        if inputs.dim() != self.rank + 2:
            raise ShapeError(f"{type(self).__name__} '{self.name}' takes (batch, {self.rank} spatial axes, channels) "
                             f"inputs, got {layout.user_shape(tuple(inputs.shape), self.data_format)}.")
        if self.rank == 1:  # sequences stay (batch, steps, features) inside
            return (inputs.shape[0], 1, inputs.shape[2])
        return (inputs.shape[0], inputs.shape[1], *([1] * self.rank))  # internal NC...


class SpatialDropout1D(_SpatialDropout):
    """Drop whole features of (batch, steps, features) sequences: the same ones at every step.

    >>> y = SpatialDropout1D(0.5, seed=0)(torch.ones(4, 6, 8), training=True)
    >>> bool((y == y[:, :1]).all())
    True
    """

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drop whole feature maps (channels) of images.

    >>> import glassnet
    >>> model = glassnet.Sequential([glassnet.Input((5, 5, 3)), SpatialDropout2D(0.5, seed=0)])
    >>> y = model(torch.ones(2, 5, 5, 3), training=True)  # (N, H, W, C)
    >>> y[0, :, :, 0].unique().numel()  # the whole 5x5 map kept (2.0) or dropped (0.0)
    1
    """

    rank = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = resolve_data_format(data_format)


class SpatialDropout3D(_SpatialDropout):
    """Drop whole feature maps (channels) of volumes.

    >>> SpatialDropout3D(0.5).eval()(torch.ones(1, 2, 2, 2, 3)).shape
    torch.Size([1, 2, 2, 2, 3])
    """

    rank = 3

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = resolve_data_format(data_format)


__all__ = ["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
