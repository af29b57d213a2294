"""Sparse autoencoders: a penalty that keeps most code units quiet.

Two recipes, both as a layer's ``activity_regularizer`` (so ``fit`` adds them to the loss):
``'l1'`` / ``regularizers.l1(1e-5)`` on a ReLU code (Keras' blog recipe), or
:class:`KLSparsity` on a sigmoid code (Ng's lecture notes): each unit's mean activation
over the batch, ``rho_hat``, is pulled towards a small target ``rho`` by
``beta * sum_j KL(rho || rho_hat_j)``.

>>> import torch
>>> penalty = KLSparsity(rho=0.1, beta=1.0)
>>> round(penalty(torch.full((4, 3), 0.1)).item(), 6)  # already at the target: no penalty
0.0
>>> penalty(torch.full((4, 3), 0.5)).item() > 0
True
"""

from __future__ import annotations

import torch

from glassnet.regularizers import Regularizer


class KLSparsity(Regularizer):
    """``beta * sum_j [rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))]``, with
    ``rho_hat_j`` unit j's mean activation over the batch (activations must lie in (0, 1): sigmoid).

    >>> import math, torch
    >>> value = KLSparsity(rho=0.05, beta=3.0)(torch.tensor([[0.2], [0.4]]))
    >>> expected = 3.0 * (0.05 * math.log(0.05 / 0.3) + 0.95 * math.log(0.95 / 0.7))
    >>> round(value.item(), 5) == round(expected, 5)
    True
    """

    def __init__(self, rho: float = 0.05, beta: float = 1.0):
        if not 0 < rho < 1:
            raise ValueError(f"KLSparsity: the target mean activation rho must be in (0, 1), got {rho}.")
        self.rho, self.beta = float(rho), float(beta)

    def __call__(self, activations: torch.Tensor) -> torch.Tensor:
        rho_hat = activations.reshape(activations.shape[0], -1).mean(0).clamp(1e-6, 1 - 1e-6)
        rho = self.rho
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return self.beta * kl.sum()

    def get_config(self) -> dict:
        return {"rho": self.rho, "beta": self.beta}


__all__ = ["KLSparsity"]
