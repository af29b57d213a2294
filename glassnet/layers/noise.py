"""Noise layers (Keras' ``GaussianNoise``, ``GaussianDropout``): random only while training.

They regularise a network, and a ``GaussianNoise`` in front of an autoencoder makes
it a *denoising* autoencoder: it sees corrupted inputs during ``fit`` and must
reconstruct the clean ones, while ``predict``/``evaluate`` see the inputs unchanged.

>>> import torch
>>> layer = GaussianNoise(0.5, seed=1)
>>> layer(torch.zeros(3), training=False).tolist()
[0.0, 0.0, 0.0]
>>> bool(layer(torch.zeros(3), training=True).abs().sum() > 0)
True
"""

from __future__ import annotations

import math

import torch

from glassnet.layers.preprocessing import RandomLayer


class _NoiseLayer(RandomLayer):
    """Identity unless training; subclasses define ``augment`` (any rank, not only images)."""

    def call(self, inputs, training: bool | None = None):
        active = self.training if training is None else training
        x = inputs if inputs.is_floating_point() else inputs.float()
        return self.augment(x) if active else x

    def normal(self, like: torch.Tensor) -> torch.Tensor:
        """Standard normal numbers shaped like ``like``, from this layer's seeded generator."""
        return torch.randn(like.shape, generator=self.generator(like.device), device=like.device, dtype=like.dtype)


class GaussianNoise(_NoiseLayer):
    """Add zero-mean Gaussian noise of standard deviation ``stddev`` while training (Keras semantics).

    >>> import torch
    >>> noisy = GaussianNoise(1.0, seed=0)(torch.zeros(10000), training=True)
    >>> round(noisy.std().item(), 1)
    1.0
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if stddev < 0:
            raise ValueError(f"GaussianNoise: stddev must be >= 0, got {stddev}. It is the noise's standard "
                             "deviation in the input's units (e.g. 0.3 for pixels in [0, 1]).")
        self.stddev = float(stddev)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.stddev * self.normal(x) if self.stddev else x


class GaussianDropout(_NoiseLayer):
    """Multiply by Gaussian noise of mean 1 and std ``sqrt(rate / (1 - rate))`` while training (Keras).

    >>> import torch
    >>> noisy = GaussianDropout(0.5, seed=0)(torch.ones(10000), training=True)
    >>> round(noisy.mean().item(), 1), round(noisy.std().item(), 1)
    (1.0, 1.0)
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1), got {rate}.")
        self.rate = float(rate)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        if not self.rate:
            return x
        return x * (1.0 + math.sqrt(self.rate / (1.0 - self.rate)) * self.normal(x))


__all__ = ["GaussianNoise", "GaussianDropout"]
