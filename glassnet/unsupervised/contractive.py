"""Contractive autoencoders (Rifai et al. 2011): penalise how much the code moves with the input.

The penalty is the squared Frobenius norm of the encoder's Jacobian, ``||dh/dx||_F^2``,
averaged over the batch and computed with autograd (one backward pass per code unit,
so keep the code small). :class:`ContractiveAutoencoder` adds ``contraction *`` that
penalty to the compiled reconstruction loss.

>>> import torch
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Model
>>> inp = Input(shape=(3,)); encoder = Model(inp, Dense(2, kernel_initializer='ones')(inp))
>>> contractive_penalty(encoder, torch.zeros(5, 3)).item()  # J = all ones (2x3): six squared ones
6.0
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet.models import Model


def contractive_penalty(encoder: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``||d encoder(x_i) / d x_i||_F^2`` (differentiable: gradients flow into
    the encoder's weights). Samples must not interact inside the encoder (no batch norm in training).

    >>> import torch
    >>> from glassnet.layers import Dense
    >>> layer = Dense(1, activation='sigmoid', kernel_initializer='ones', bias_initializer='zeros')
    >>> round(contractive_penalty(layer, torch.zeros(1, 2)).item(), 4)  # sigmoid'(0)^2 * (1 + 1)
    0.125
    """
    with torch.inference_mode(False), torch.enable_grad():
        inputs = x.detach().clone().float().requires_grad_(True)
        code = encoder(inputs)
        code = code.reshape(code.shape[0], -1)
        total = code.new_zeros(())
        for unit in range(code.shape[1]):  # row `unit` of every sample's Jacobian at once
            (grad,) = torch.autograd.grad(code[:, unit].sum(), inputs, create_graph=True)
            total = total + grad.pow(2).sum()
    return total / code.shape[0]


class ContractiveAutoencoder(Model):
    """``decoder(encoder(x))`` trained on the compiled loss plus ``contraction * contractive_penalty``.

    >>> import numpy as np
    >>> from glassnet.unsupervised import dense_autoencoder
    >>> ae = dense_autoencoder((6,), code_size=2, hidden=(), output_activation=None)
    >>> cae = ContractiveAutoencoder(ae.encoder, ae.decoder, contraction=0.1)
    >>> cae.compile(optimizer='adam', loss='mse')
    >>> x = np.random.rand(16, 6).astype('float32')
    >>> sorted(cae.fit(x, x, epochs=1, verbose=0).history)
    ['contractive_penalty', 'loss']
    """

    def __init__(self, encoder: Model, decoder: Model, contraction: float = 1e-3, **kwargs: Any):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.contraction = float(contraction)
        self._last_penalty: torch.Tensor | None = None

    def call(self, inputs):
        return self.decoder(self.encoder(inputs))

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: torch.Tensor | None = None) -> torch.Tensor:
        penalty = contractive_penalty(self.encoder, x)
        self._last_penalty = penalty.detach()
        return super().compute_loss(x, y, y_pred, sample_weight) + self.contraction * penalty

    def train_step(self, data: tuple) -> dict[str, torch.Tensor]:
        logs = dict(super().train_step(data))
        logs["contractive_penalty"] = self._last_penalty
        return logs


__all__ = ["contractive_penalty", "ContractiveAutoencoder"]
