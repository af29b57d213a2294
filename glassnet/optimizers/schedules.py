"""Learning-rate schedules: callables from the optimizer step (0, 1, 2...) to a learning rate.

Keras' schedules with Keras' names, arguments and formulas, plus :class:`OneCycle` (Leslie
Smith's one-cycle policy, as fastai and ``torch.optim.lr_scheduler.OneCycleLR`` do it). Pass one as
an optimizer's ``learning_rate``; the optimizer calls it before each step. Values are plain Python
floats computed with :mod:`math`: no tensors, so no device sync per step.

>>> from glassnet.optimizers import SGD
>>> opt = SGD(learning_rate=ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
>>> opt.learning_rate
0.1
>>> serialize(PiecewiseConstantDecay([10], [0.1, 0.01]))['class_name']
'PiecewiseConstantDecay'
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Sequence

from glassnet.naming import lookup


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step) -> float`` and ``get_config()``.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, lr): self.lr = lr
    ...     def __call__(self, step): return self.lr / 2 ** step
    ...     def get_config(self): return {"lr": self.lr}
    >>> Halving(1.0)(3)
    0.125
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(self, step) -> float.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement get_config() to be saved with a model.")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        except NotImplementedError:
            args = "..."
        return f"{type(self).__name__}({args})"


def _positive(name: str, value: float, schedule: str) -> None:
    if not value > 0:
        raise ValueError(f"{schedule}: `{name}` must be > 0, got {value!r}.")


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (exponent floored if ``staircase``).

    >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
    0.025
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay"):
        _positive("decay_steps", decay_steps, "ExponentialDecay")
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate * self.decay_rate ** p)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (ratio floored if ``staircase``).

    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
    0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay"):
        _positive("decay_steps", decay_steps, "InverseTimeDecay")
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name

    def __call__(self, step: int) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return float(self.initial_learning_rate / (1 + self.decay_rate * p))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` in ``decay_steps`` along ``(1 - t) ** power``.

    With ``cycle=True`` it restarts, over the next multiple of ``decay_steps``, after reaching the end.

    >>> PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)(5)
    0.05
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay"):
        _positive("decay_steps", decay_steps, "PolynomialDecay")
        self.initial_learning_rate, self.decay_steps, self.end_learning_rate = (
            initial_learning_rate, decay_steps, end_learning_rate)
        self.power, self.cycle, self.name = power, cycle, name

    def __call__(self, step: int) -> float:
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
        else:
            step = min(step, decay_steps)
        p = step / decay_steps
        return float((self.initial_learning_rate - self.end_learning_rate) * (1 - p) ** self.power
                     + self.end_learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while ``step <= boundaries[1]``, ...

    >>> lr = PiecewiseConstantDecay(boundaries=[100, 200], values=[0.1, 0.01, 0.001])
    >>> lr(100), lr(101), lr(500)
    (0.1, 0.01, 0.001)
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay needs one more value than boundaries; got "
                             f"{len(boundaries)} boundaries {boundaries} and {len(values)} values {values}.")
        if any(b >= a for b, a in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay boundaries must be strictly increasing, got {boundaries}.")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step: int) -> float:
        return float(self.values[bisect.bisect_left(self.boundaries, step)])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up to ``warmup_target``, then half a cosine down to ``alpha`` times the start.

    Without ``warmup_target`` the decay starts from ``initial_learning_rate``.

    >>> lr = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    >>> round(lr(5), 4), round(lr(10), 4), round(lr(60), 4), lr(1000)
    (0.05, 0.1, 0.05, 0.0)
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None, warmup_steps: int = 0):
        _positive("decay_steps", decay_steps, "CosineDecay")
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = (
            initial_learning_rate, decay_steps, alpha, name)
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, step: float, start_lr: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return float(start_lr * ((1 - self.alpha) * cosine + self.alpha))

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            fraction = step / self.warmup_steps
            return float((self.warmup_target - self.initial_learning_rate) * fraction + self.initial_learning_rate)
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


def _cosine_anneal(start: float, end: float, fraction: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)


class OneCycle(LearningRateSchedule):
    """One-cycle policy: cosine warm-up from ``max_learning_rate / div_factor`` to the maximum over
    the first ``pct_start`` of ``total_steps``, then cosine annealing down to
    ``max_learning_rate / div_factor / final_div_factor``. Same curve as torch's ``OneCycleLR``
    (``anneal_strategy='cos'``); after ``total_steps`` it stays at the final value. (fastai also
    cycles momentum; this schedule only sets the learning rate.)

    >>> lr = OneCycle(max_learning_rate=0.1, total_steps=100)
    >>> round(lr(0), 6), round(lr(24), 6), lr(99) < 1e-6
    (0.004, 0.1, True)
    """

    def __init__(self, max_learning_rate: float, total_steps: int, pct_start: float = 0.25,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, name: str = "OneCycle"):
        _positive("total_steps", total_steps, "OneCycle")
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"OneCycle: `pct_start` is the fraction of steps spent warming up, "
                             f"between 0 and 1; got {pct_start!r}.")
        self.max_learning_rate, self.total_steps, self.pct_start = max_learning_rate, total_steps, pct_start
        self.div_factor, self.final_div_factor, self.name = div_factor, final_div_factor, name

    def __call__(self, step: int) -> float:
        initial = self.max_learning_rate / self.div_factor
        final = initial / self.final_div_factor
        peak_step = float(self.pct_start * self.total_steps) - 1  # torch's phase boundary
        last_step = self.total_steps - 1
        step = min(step, last_step)
        if peak_step > 0 and step <= peak_step:
            return float(_cosine_anneal(initial, self.max_learning_rate, step / peak_step))
        span = last_step - max(peak_step, 0.0)
        fraction = 1.0 if span <= 0 else (step - max(peak_step, 0.0)) / span
        return float(_cosine_anneal(self.max_learning_rate, final, fraction))

    def get_config(self) -> dict[str, Any]:
        return {"max_learning_rate": self.max_learning_rate, "total_steps": self.total_steps,
                "pct_start": self.pct_start, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor, "name": self.name}


ALL: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PolynomialDecay,
                                  PiecewiseConstantDecay, CosineDecay, OneCycle)
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{'class_name', 'config'}`` for saving a schedule (e.g. inside an optimizer's config).

    >>> serialize(ExponentialDecay(0.1, 10, 0.9))['config']['decay_rate']
    0.9
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(
            f"Cannot save the learning-rate function {schedule!r}: only LearningRateSchedule objects can be "
            "saved. Use a built-in schedule (glassnet.optimizers.schedules.ALL), subclass LearningRateSchedule "
            "with get_config(), or use a float learning rate plus the LearningRateScheduler callback.")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, type] | None = None) -> LearningRateSchedule:
    """The schedule :func:`serialize` described (``custom_objects`` maps names of your own classes).

    >>> deserialize({'class_name': 'OneCycle', 'config': {'max_learning_rate': 0.1, 'total_steps': 10}})
    OneCycle(max_learning_rate=0.1, total_steps=10, pct_start=0.25, div_factor=25.0, final_div_factor=10000.0)
    """
    table = {**ALL, **(custom_objects or {})}
    return lookup("learning-rate schedule", config["class_name"], table).from_config(config["config"])


__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
           "PiecewiseConstantDecay", "CosineDecay", "OneCycle", "serialize", "deserialize", "ALL"]
