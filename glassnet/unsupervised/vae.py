"""Variational autoencoders (Kingma & Welling 2014) with Keras' custom-``train_step`` pattern.

The encoder maps an input to a Gaussian over codes, ``(z_mean, z_log_var)``; a code is
sampled with the reparameterisation trick ``z = z_mean + exp(z_log_var / 2) * eps``
(:class:`Sampling`) so gradients flow through the sample; the decoder maps it back.
The loss is the reconstruction term (binary crossentropy summed over pixels) plus
``beta *`` the KL divergence from N(0, I) (:func:`kl_divergence`), each averaged over
the batch. After training, ``vae.sample(n)`` decodes codes drawn from N(0, I).

>>> import numpy as np
>>> vae = variational_autoencoder((28, 28, 1), latent_dim=2, hidden=(32,))
>>> vae.compile(optimizer='adam')
>>> x = np.random.rand(8, 28, 28, 1).astype('float32')
>>> sorted(vae.fit(x, epochs=1, batch_size=4, verbose=0).history)
['kl_loss', 'loss', 'reconstruction_loss']
>>> vae.sample(3).shape
(3, 28, 28, 1)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from glassnet import logits as logits_of
from glassnet.layers import Dense, Flatten, Input, Layer, Reshape
from glassnet.metrics import Mean
from glassnet.models import Model
from glassnet.training.steps import unpack


def kl_divergence(z_mean: torch.Tensor, z_log_var: torch.Tensor) -> torch.Tensor:
    """Per sample ``KL(N(z_mean, exp(z_log_var)) || N(0, I)) = -1/2 sum(1 + log_var - mean^2 - exp(log_var))``.

    >>> import torch
    >>> abs(kl_divergence(torch.zeros(1, 2), torch.zeros(1, 2)).item())  # already N(0, I)
    0.0
    >>> kl_divergence(torch.ones(1, 1), torch.zeros(1, 1)).item()  # a unit shift costs 1/2
    0.5
    """
    return -0.5 * (1 + z_log_var - z_mean.pow(2) - z_log_var.exp()).sum(-1)


class Sampling(Layer):
    """Draw ``z = z_mean + exp(z_log_var / 2) * eps`` with ``eps ~ N(0, I)`` (the reparameterisation trick).

    >>> import torch
    >>> Sampling()([torch.zeros(2, 3), torch.full((2, 3), -1e9)]).abs().max().item()  # no variance: the mean
    0.0
    """

    def call(self, inputs):
        z_mean, z_log_var = inputs
        return z_mean + torch.exp(0.5 * z_log_var) * torch.randn_like(z_mean)


class VAE(Model):
    """A variational autoencoder from an ``encoder`` (x -> [z_mean, z_log_var]) and a ``decoder``
    (z -> x with outputs in [0, 1]). ``compile(optimizer=...)`` needs no loss: ``train_step`` and
    ``test_step`` compute it and report ``loss``, ``reconstruction_loss`` and ``kl_loss``.
    Calling the model decodes a sampled code while training and ``z_mean`` otherwise.

    >>> vae = variational_autoencoder((6,), latent_dim=2, hidden=(4,))
    >>> [t.shape[-1] for t in vae.encoder(torch.zeros(1, 6))]
    [2, 2]
    """

    def __init__(self, encoder: Model, decoder: Model, beta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.sampling = Sampling()
        self.beta = float(beta)
        self.total_loss_tracker = Mean(name="loss")
        self.reconstruction_loss_tracker = Mean(name="reconstruction_loss")
        self.kl_loss_tracker = Mean(name="kl_loss")

    @property
    def metrics(self) -> list:
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def call(self, inputs):
        z_mean, z_log_var = self.encoder(inputs)
        return self.decoder(self.sampling([z_mean, z_log_var]) if self.training else z_mean)

    def losses_of(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(reconstruction_loss, kl_loss)`` of a batch, each averaged over its samples."""
        z_mean, z_log_var = self.encoder(x)
        reconstruction = self.decoder(self.sampling([z_mean, z_log_var]))
        target = x.to(reconstruction.dtype)
        logit = logits_of.of(reconstruction, "sigmoid")
        per_value = (F.binary_cross_entropy_with_logits(logit, target, reduction="none") if logit is not None
                     else F.binary_cross_entropy(reconstruction.clamp(1e-7, 1 - 1e-7), target, reduction="none"))
        return per_value.reshape(len(x), -1).sum(1).mean(), kl_divergence(z_mean, z_log_var).mean()

    def _step(self, data: Any, train: bool) -> dict[str, torch.Tensor]:
        x, _, _ = unpack(data)
        reconstruction_loss, kl_loss = self.losses_of(x)
        loss = reconstruction_loss + self.beta * kl_loss
        if train:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        for tracker, value in zip(self.metrics, (loss, reconstruction_loss, kl_loss)):
            tracker.update_state(value.detach(), sample_weight=len(x))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data: Any) -> dict[str, torch.Tensor]:
        return self._step(data, train=True)

    def test_step(self, data: Any) -> dict[str, torch.Tensor]:
        return self._step(data, train=False)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` new examples: decoded codes drawn from the prior N(0, I).

        >>> variational_autoencoder((6,), latent_dim=2, hidden=(4,)).sample(5, seed=0).shape
        (5, 6)
        """
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        latent_shape = self.decoder.layers[0].shape  # the decoder's InputLayer
        z = torch.randn(n, *latent_shape, generator=generator)
        return self.decoder.predict(z.numpy(), verbose=0)


def variational_autoencoder(input_shape: Sequence[int], latent_dim: int = 2, hidden: Sequence[int] = (256,),
                            activation: str = "relu", beta: float = 1.0, name: str = "vae") -> VAE:
    """A dense VAE for inputs in [0, 1] (e.g. MNIST pixels): ``hidden`` Dense layers to ``z_mean`` and
    ``z_log_var``, and the mirror image back to a sigmoid output of ``input_shape``.

    >>> vae = variational_autoencoder((28, 28, 1), latent_dim=2)
    >>> vae.encoder.name, vae.decoder.name, vae.beta
    ('encoder', 'decoder', 1.0)
    """
    input_shape = tuple(int(d) for d in input_shape)
    inputs = Input(shape=input_shape)
    x = Flatten()(inputs) if len(input_shape) > 1 else inputs
    for units in hidden:
        x = Dense(units, activation=activation)(x)
    encoder = Model(inputs, [Dense(latent_dim, name="z_mean")(x), Dense(latent_dim, name="z_log_var")(x)],
                    name="encoder")
    z = Input(shape=(latent_dim,))
    y = z
    for units in reversed(tuple(hidden)):
        y = Dense(units, activation=activation)(y)
    y = Dense(math.prod(input_shape), activation="sigmoid")(y)
    if len(input_shape) > 1:
        y = Reshape(input_shape)(y)
    return VAE(encoder, Model(z, y, name="decoder"), beta=beta, name=name)


__all__ = ["VAE", "Sampling", "kl_divergence", "variational_autoencoder"]
