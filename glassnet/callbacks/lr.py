"""Callbacks that change the optimizer's learning rate between epochs.

(For a per-step curve, give the optimizer a schedule from :mod:`glassnet.optimizers.schedules`.)

>>> from glassnet.callbacks import LearningRateScheduler, ReduceLROnPlateau
>>> ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=3).factor
0.5
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any, Callable

from glassnet.callbacks._monitor import improved, monitored_value, resolve_mode, worst
from glassnet.callbacks.base import Callback


def _optimizer(callback: Callback, who: str):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who} needs a compiled model with an optimizer: call model.compile(optimizer=...) "
                         "before fit().")
    if callable(getattr(optimizer, "_learning_rate", None)):
        raise ValueError(f"{who} sets the learning rate each epoch, but the optimizer already follows the "
                         f"schedule {optimizer._learning_rate!r}. Use one or the other: a float learning_rate "
                         "with this callback, or the schedule alone.")
    return optimizer


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` once ``monitor`` has not improved for ``patience`` epochs.

    After a reduction, ``cooldown`` epochs pass before waiting starts again (counted as Keras
    does, from the reduction epoch itself: ``cooldown=1`` has no visible effect); the rate never goes
    below ``min_lr``. The current rate is added to the epoch logs as ``'learning_rate'``.

    >>> class Opt: learning_rate = 0.1
    >>> class FakeModel: optimizer = Opt()
    >>> cb = ReduceLROnPlateau(monitor='loss', factor=0.5, patience=1); cb.set_model(FakeModel())
    >>> cb.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     cb.on_epoch_end(epoch, {'loss': loss})
    >>> FakeModel.optimizer.learning_rate
    0.025
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not increase the learning rate: factor must be < 1, "
                             f"got {factor}.")
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), patience, verbose
        self.mode = resolve_mode(monitor, mode, "ReduceLROnPlateau")
        self.min_delta, self.cooldown, self.min_lr = abs(min_delta), cooldown, float(min_lr)
        self._resumed = False
        self._reset()

    def _reset(self) -> None:
        self.best, self.wait, self.cooldown_counter = worst(self.mode), 0, 0

    def on_train_begin(self, logs=None):
        if not self._resumed:
            self._reset()
        self._resumed = False

    def in_cooldown(self) -> bool:
        """Whether the last reduction was less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        optimizer = _optimizer(self, "ReduceLROnPlateau")
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = monitored_value(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0

    def state_dict(self) -> dict[str, Any]:
        """best, wait and cooldown_counter (the learning rate itself lives in the optimizer's state)."""
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait = float(state["best"]), int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self._resumed = True


class LearningRateScheduler(Callback):
    """At the start of each epoch, set the learning rate to ``schedule(epoch, lr)``.

    ``schedule`` takes the epoch (from 0) and the current rate and returns the new rate (a
    one-argument ``schedule(epoch)`` works too). The rate is added to the logs as ``'learning_rate'``.

    >>> class Opt: learning_rate = 0.1
    >>> class FakeModel: optimizer = Opt()
    >>> cb = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr / 10); cb.set_model(FakeModel())
    >>> for epoch in range(3):
    ...     cb.on_epoch_begin(epoch)
    >>> round(FakeModel.optimizer.learning_rate, 6)
    0.01
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose
        self._takes_lr = self._accepts_two_arguments(schedule)

    @staticmethod
    def _accepts_two_arguments(fn: Callable) -> bool:
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature: assume Keras' (epoch, lr)
            return True
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer(self, "LearningRateScheduler")
        lr = self.schedule(epoch, float(optimizer.learning_rate)) if self._takes_lr else self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(f"LearningRateScheduler: the schedule must return a number, got {lr!r} "
                             f"({type(lr).__name__}) for epoch {epoch}.")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(_optimizer(self, "LearningRateScheduler").learning_rate)
