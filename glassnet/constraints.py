"""Weight constraints applied after every optimizer step (Keras' ``keras.constraints``).

``Dense(64, kernel_constraint=constraints.max_norm(3))``: after each step the
trainer calls :func:`apply_all` (Keras applies constraints in the optimizer, right
after the update). A constraint sees the weight in Keras' layout — a Dense kernel
is (in, units), a Conv2D kernel (kh, kw, in, out) — so ``axis=0`` means what it
means in Keras (the norm of each unit's incoming weights), whatever the torch
layout underneath. Formulas are Keras' (epsilon 1e-7).

>>> import torch
>>> [round(v, 4) for v in MaxNorm(1.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
[0.6, 0.8]
>>> NonNeg()(torch.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from glassnet import serialization
from glassnet.naming import lookup

EPSILON = 1e-7


class Constraint:
    """Base class: ``__call__(weight) -> constrained weight`` (Keras layout), plus ``get_config``.

    >>> class HalveWeights(Constraint):
    ...     def __call__(self, w): return w / 2
    >>> HalveWeights()(torch.ones(2)).tolist()
    [0.5, 0.5]
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        serialization.register(cls)  # saved configs name it; yours load like your layers do

    def get_config(self) -> dict:
        """Constructor arguments (for saving)."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Constraint":
        """Rebuild from :meth:`get_config`'s output."""
        return cls(**config)


def _norms(w: torch.Tensor, axis: Any) -> torch.Tensor:
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    return torch.sqrt(torch.sum(torch.square(w), dim=dims, keepdim=True))


class MaxNorm(Constraint):
    """Rescale so the norm along ``axis`` is at most ``max_value``.

    >>> MaxNorm(10.0)(torch.tensor([[3.0], [4.0]])).flatten().tolist()
    [3.0, 4.0]
    """

    def __init__(self, max_value: float = 2.0, axis: Any = 0):
        self.max_value, self.axis = float(max_value), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w):
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    """Scale to unit norm along ``axis``.

    >>> [round(v, 4) for v in UnitNorm()(torch.tensor([[3.0], [4.0]])).flatten().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, axis: Any = 0):
        self.axis = axis

    def __call__(self, w):
        return w / (EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep the norm along ``axis`` in [min_value, max_value], moving a fraction ``rate`` of the way.

    >>> [round(v, 4) for v in MinMaxNorm(2.0, 3.0)(torch.tensor([[0.6], [0.8]])).flatten().tolist()]
    [1.2, 1.6]
    """

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0):
        self.min_value, self.max_value, self.rate, self.axis = float(min_value), float(max_value), float(rate), axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
ALL: dict[str, type[Constraint]] = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
                                    "min_max_norm": MinMaxNorm}


def get(identifier: Any) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """A constraint from a name ('max_norm'), a saved config, or the object (any callable) itself.

    >>> type(get('non_neg')).__name__, get(None)
    ('NonNeg', None)
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = serialization.get_class(identifier.get("class_name", ""))
        return cls.from_config(identifier.get("config", {}))
    return lookup("constraint", identifier, ALL)()


def serialize(constraint: Any) -> dict | None:
    """``{'class_name', 'config'}`` for a model config.

    >>> serialize(MaxNorm(3))
    {'class_name': 'MaxNorm', 'config': {'max_value': 3.0, 'axis': 0}}
    """
    if constraint is None:
        return None
    if not hasattr(constraint, "get_config"):
        raise TypeError(f"Cannot save the constraint {constraint!r}: make it a Constraint subclass with "
                        "get_config(), registered with glassnet.saving.register_keras_serializable().")
    return {"class_name": serialization.registered_name(type(constraint)), "config": constraint.get_config()}


def apply_all(model: torch.nn.Module) -> int:
    """Project every constrained weight of ``model`` (and its sublayers) onto its constraint, in place.

    The trainer calls it after each optimizer step; returns how many weights were constrained.

    >>> from glassnet.layers import Dense
    >>> layer = Dense(2, input_dim=3, kernel_constraint=NonNeg())
    >>> apply_all(layer), bool((layer.weight >= 0).all())
    (1, True)
    """
    from glassnet.layers.base import unique_modules

    count = 0
    with torch.no_grad():
        for module in unique_modules(model):
            for name, constraint in module.__dict__.get("_constraints", {}).items():
                weight = getattr(module, name)
                keras_view = module._keras_layout(name, weight)
                weight.copy_(module._torch_layout(name, constraint(keras_view)))
                count += 1
    return count


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg", "unit_norm",
           "min_max_norm", "get", "serialize", "apply_all"]
