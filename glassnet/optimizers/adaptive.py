"""Adaptive optimizers (per-weight step sizes): Keras names, arguments and defaults on ``torch.optim``.

Each class maps Keras' hyper-parameters to the torch optimizer that computes the same update:

=========  ===================================  ==============================================
Keras      torch                                mapping
=========  ===================================  ==============================================
RMSprop    ``RMSprop``                          rho -> alpha, epsilon -> eps
Adam       ``Adam``                             (beta_1, beta_2) -> betas, epsilon -> eps
AdamW      ``AdamW``                            as Adam; Keras default weight_decay 0.004
Adagrad    ``Adagrad``                          initial_accumulator_value, epsilon -> eps
Adadelta   ``Adadelta``                         rho, epsilon -> eps (Keras lr 0.001, torch 1.0)
Nadam      ``NAdam(momentum_decay=1.0)``        Keras 3's momentum schedule 0.96**t
=========  ===================================  ==============================================

Where epsilon sits differs slightly: Keras adds it inside the square root for RMSprop and
Adagrad and uses Adam's "epsilon hat"; torch adds it outside. With gradients much larger than
epsilon (the usual case) the updates agree to float precision; the tests check both torch and
Keras' own formulas.

>>> import torch
>>> w = torch.nn.Parameter(torch.ones(2))
>>> opt = Adam(learning_rate=0.1); opt.build([w])
>>> w.grad = torch.tensor([1.0, -1.0]); opt.step(); [round(v, 3) for v in w.tolist()]
[0.9, 1.1]
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet.optimizers.base import Optimizer, Schedule


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    Keras defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7, centered False.

    >>> RMSprop().torch_kwargs()['alpha']
    0.9
    """

    torch_class = torch.optim.RMSprop

    def __init__(self, learning_rate: float | Schedule = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def torch_kwargs(self) -> dict[str, Any]:
        return {"alpha": self.rho, "eps": self.epsilon, "momentum": self.momentum, "centered": self.centered,
                **self._speed_kwargs()}

    def _hyper_config(self) -> dict[str, Any]:
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class Adam(Optimizer):
    """Adam: momentum plus per-weight scaling by the running mean of squared gradients.

    Keras defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad False.
    With ``weight_decay`` it is Keras' decoupled decay (torch's ``decoupled_weight_decay=True``).

    >>> Adam().torch_kwargs()['betas']
    (0.9, 0.999)
    """

    torch_class = torch.optim.Adam
    fused_supported = True
    torch_decays_weights = True

    def __init__(self, learning_rate: float | Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def torch_kwargs(self) -> dict[str, Any]:
        decay = {"weight_decay": self.weight_decay, "decoupled_weight_decay": True} if self.weight_decay else {}
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "amsgrad": self.amsgrad,
                **decay, **self._speed_kwargs()}

    def _hyper_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter). Keras default weight_decay 0.004.

    >>> AdamW().weight_decay
    0.004
    """

    torch_class = torch.optim.AdamW

    def __init__(self, learning_rate: float | Schedule = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 **kwargs: Any):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)

    def torch_kwargs(self) -> dict[str, Any]:
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "amsgrad": self.amsgrad,
                "weight_decay": self.weight_decay or 0.0, **self._speed_kwargs()}


class Adagrad(Optimizer):
    """Per-weight learning rates that shrink with the sum of squared past gradients.

    Keras defaults: learning_rate 0.001, initial_accumulator_value 0.1, epsilon 1e-7.

    >>> Adagrad().torch_kwargs()['initial_accumulator_value']
    0.1
    """

    torch_class = torch.optim.Adagrad
    fused_supported = True

    def __init__(self, learning_rate: float | Schedule = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def torch_kwargs(self) -> dict[str, Any]:
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon,
                **self._speed_kwargs()}

    def _hyper_config(self) -> dict[str, Any]:
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Adagrad's successor: step sizes from running averages of squared gradients and updates.

    Keras defaults: learning_rate 0.001 (torch's default is 1.0), rho 0.95, epsilon 1e-7.

    >>> Adadelta().torch_kwargs()['rho']
    0.95
    """

    torch_class = torch.optim.Adadelta

    def __init__(self, learning_rate: float | Schedule = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def torch_kwargs(self) -> dict[str, Any]:
        return {"rho": self.rho, "eps": self.epsilon, **self._speed_kwargs()}

    def _hyper_config(self) -> dict[str, Any]:
        return {"rho": self.rho, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2015).

    Keras defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7. Keras 3 warms the
    momentum up as ``beta_1 * (1 - 0.5 * 0.96**t)``, which is torch's NAdam with
    ``momentum_decay=1.0`` (torch's default 0.004 is the older tf.keras schedule).

    >>> Nadam().torch_kwargs()['momentum_decay']
    1.0
    """

    torch_class = torch.optim.NAdam
    torch_decays_weights = True

    def __init__(self, learning_rate: float | Schedule = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def torch_kwargs(self) -> dict[str, Any]:
        decay = {"weight_decay": self.weight_decay, "decoupled_weight_decay": True} if self.weight_decay else {}
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "momentum_decay": 1.0,
                **decay, **self._speed_kwargs()}

    def _hyper_config(self) -> dict[str, Any]:
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


__all__ = ["RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Nadam"]
