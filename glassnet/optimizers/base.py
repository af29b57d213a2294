"""The optimizer contract: Keras names and hyper-parameters, ``torch.optim`` underneath.

An :class:`Optimizer` is configured first (``Adam(learning_rate=1e-3)``) and
bound to parameters later by ``compile``/``fit`` (:meth:`build`), because
glassnet layers create their weights lazily. ``learning_rate`` may be a float or
a schedule (a callable from step number to learning rate).

>>> import torch
>>> w = torch.nn.Parameter(torch.ones(1))
>>> opt = SGD(learning_rate=0.1); opt.build([w])
>>> w.grad = torch.ones(1); opt.step(); round(w.item(), 2)
0.9
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch

Schedule = Callable[[int], float]


class Optimizer:
    """Base class. Subclasses set ``torch_class`` and map their Keras
    hyper-parameters to torch's in :meth:`torch_kwargs`."""

    torch_class: type[torch.optim.Optimizer] = torch.optim.SGD

    def __init__(self, learning_rate: float | Schedule = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None):
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self.torch_optimizer: torch.optim.Optimizer | None = None

    # -- configuration --------------------------------------------------------
    def torch_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``torch_class`` besides ``lr``."""
        return {}

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (a schedule is saved by its own config)."""
        lr = self._learning_rate
        if callable(lr):
            from glassnet.optimizers import schedules
            lr = schedules.serialize(lr)
        return {"learning_rate": lr, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm, "name": self.name,
                **self._hyper_config()}

    def _hyper_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from glassnet.optimizers import schedules
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    # -- binding and stepping ------------------------------------------------
    def build(self, parameters: Iterable[torch.nn.Parameter]) -> None:
        """Create the underlying ``torch.optim`` optimizer over ``parameters``."""
        self._params = [p for p in parameters]
        self.torch_optimizer = self.torch_class(self._params, lr=self._lr_at(self.iterations),
                                                **self.torch_kwargs())

    @property
    def built(self) -> bool:
        return self.torch_optimizer is not None

    def _lr_at(self, step: int) -> float:
        lr = self._learning_rate
        return float(lr(step)) if callable(lr) else float(lr)

    @property
    def learning_rate(self) -> float:
        """The current learning rate (settable; callbacks such as ReduceLROnPlateau use it)."""
        if self.torch_optimizer is not None:
            return float(self.torch_optimizer.param_groups[0]["lr"])
        return self._lr_at(self.iterations)

    @learning_rate.setter
    def learning_rate(self, value: float | Schedule) -> None:
        self._learning_rate = value
        self._apply_lr(self._lr_at(self.iterations))

    def _apply_lr(self, lr: float) -> None:
        if self.torch_optimizer is not None:
            for group in self.torch_optimizer.param_groups:
                group["lr"] = lr

    def zero_grad(self) -> None:
        """Drop the gradients (set to None: cheaper than zeroing, and frozen weights stay untouched)."""
        self.torch_optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        """Clip gradients if asked, apply the scheduled learning rate, update the weights."""
        if callable(self._learning_rate):
            self._apply_lr(self._lr_at(self.iterations))
        self._clip()
        self.torch_optimizer.step()
        self.iterations += 1

    def _clip(self) -> None:
        params = [p for p in self._params if p.grad is not None]
        if self.clipvalue is not None:
            torch.nn.utils.clip_grad_value_(params, self.clipvalue)
        if self.clipnorm is not None:
            for p in params:
                torch.nn.utils.clip_grad_norm_([p], self.clipnorm)
        if self.global_clipnorm is not None:
            torch.nn.utils.clip_grad_norm_(params, self.global_clipnorm)

    # -- checkpointing --------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torch's optimizer state plus the step counter."""
        return {"iterations": self.iterations, "torch": self.torch_optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` (call :meth:`build` first)."""
        self.iterations = int(state["iterations"])
        self.torch_optimizer.load_state_dict(state["torch"])


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum. Keras defaults: lr 0.01.

    >>> SGD(momentum=0.9).torch_kwargs()['momentum']
    0.9
    """

    torch_class = torch.optim.SGD

    def __init__(self, learning_rate: float | Schedule = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def torch_kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay or 0.0, "foreach": True}

    def _hyper_config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}
