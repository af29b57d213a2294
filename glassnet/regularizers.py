"""Weight penalties added to the training loss (Keras' ``keras.regularizers``).

Give one to a layer — ``Dense(64, kernel_regularizer='l2')`` or
``kernel_regularizer=regularizers.l2(1e-4)`` — and the penalty of that weight
joins ``layer.losses`` / ``model.losses``, which ``fit`` adds to the loss.
The formulas are Keras': ``L2(l2)(w) = l2 * sum(w**2)`` (no ½), ``L1(l1)(w) =
l1 * sum(|w|)``, default factor 0.01. ``activity_regularizer=`` applies the same
penalty to the layer's output on every call.

>>> import torch
>>> L2(0.1)(torch.tensor([1.0, 2.0])).item()
0.5
>>> l1_l2(l2=0.5).get_config()
{'l1': 0.0, 'l2': 0.5}
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from glassnet import serialization
from glassnet.naming import lookup


class Regularizer:
    """Base class: ``__call__(weight) -> scalar penalty``; subclasses also define ``get_config``.

    >>> class MeanPenalty(Regularizer):
    ...     def __call__(self, w): return w.mean()
    >>> MeanPenalty()(torch.ones(3)).item()
    1.0
    """

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define __call__(self, weight) -> penalty.")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        serialization.register(cls)  # saved configs name it; yours load like your layers do

    def get_config(self) -> dict:
        """Constructor arguments (for saving)."""
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        """Rebuild from :meth:`get_config`'s output."""
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w**2)``.

    >>> L1L2(l1=1.0, l2=1.0)(torch.tensor([-2.0])).item()
    6.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = _factor(l1, "l1"), _factor(l2, "l2")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + self.l1 * x.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * x.square().sum()
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)`` (default l1=0.01).

    >>> L1(0.5)(torch.tensor([-2.0, 2.0])).item()
    2.0
    """

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w**2)`` (default l2=0.01) — Keras' formula, without the ½ of some textbooks.

    >>> L2()(torch.tensor([10.0])).item()
    1.0
    """

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Push the rows (``mode='rows'``) or columns of a kernel towards orthogonality: Keras' formula,
    ``factor`` times the mean absolute cosine similarity of distinct pairs (the kernel as Keras lays
    it out: a Dense kernel is (in, units), so ``'columns'`` compares units).

    >>> OrthogonalRegularizer(1.0)(torch.eye(3)).item()
    0.0
    >>> round(OrthogonalRegularizer(1.0)(torch.ones(2, 2)).item(), 4)  # two parallel rows: 0.5 * 2 / 1
    1.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer(mode={mode!r}): use 'rows' or 'columns'.")
        self.factor, self.mode = _factor(factor, "factor"), mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D kernel (e.g. a Dense kernel), got shape "
                             f"{tuple(x.shape)}.")
        vectors = torch.nn.functional.normalize(x if self.mode == "rows" else x.t(), dim=1)
        product = vectors @ vectors.t()
        size = product.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, device=x.device, dtype=x.dtype))
        pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * off_diagonal.abs().sum() / pairs

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


def _factor(value: Any, name: str) -> float:
    value = float(value)
    if not value >= 0:
        raise ValueError(f"Regularizer factor {name}={value} must be a non-negative number (e.g. 1e-4).")
    return value


#: lower-case aliases, as Keras 3 exports them (``l1_l2`` is ``L1L2``: both factors default to 0)
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
ALL: dict[str, Callable[..., Regularizer]] = {"l1": L1, "l2": L2, "l1_l2": L1L2,
                                              "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier: Any) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """A regularizer from a name ('l2'), a saved config, or the object (any callable) itself.

    >>> get('l2').l2, get(None)
    (0.01, None)
    >>> type(get({'class_name': 'L1L2', 'config': {'l1': 0.1, 'l2': 0.0}})).__name__
    'L1L2'
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = serialization.get_class(identifier.get("class_name", ""))
        return cls.from_config(identifier.get("config", {}))
    return lookup("regularizer", identifier, ALL)()


def serialize(regularizer: Any) -> dict | None:
    """``{'class_name', 'config'}`` for a model config.

    >>> serialize(L2(0.5))
    {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    if regularizer is None:
        return None
    if not hasattr(regularizer, "get_config"):
        raise TypeError(f"Cannot save the regularizer {regularizer!r}: make it a Regularizer subclass with "
                        "get_config(), registered with glassnet.saving.register_keras_serializable().")
    return {"class_name": serialization.registered_name(type(regularizer)), "config": regularizer.get_config()}


__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize"]
