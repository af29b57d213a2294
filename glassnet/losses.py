"""Losses with Keras names. Each returns the mean over the batch of per-sample losses.

Crossentropy after a softmax/sigmoid output is computed stably: the trainer
hands the loss the *logits* (``from_logits=True`` internally) and uses
log-softmax, never the log of a rounded probability.

>>> import torch
>>> y_true = torch.tensor([[0., 1.]]); y_pred = torch.tensor([[0.1, 0.9]])
>>> round(CategoricalCrossentropy()(y_true, y_pred).item(), 4)
0.1054
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from glassnet.naming import lookup

EPSILON = 1e-7  # Keras' backend epsilon, used to clip probabilities


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred) -> per-sample losses``."""

    #: the final activation whose logits this loss can take instead ('softmax', 'sigmoid' or None)
    fuses_activation: str | None = None

    def __init__(self, name: str | None = None, reduction: str = "sum_over_batch_size"):
        self.name = name or type(self).__name__
        self.reduction = reduction

    def __call__(self, y_true, y_pred, sample_weight=None) -> torch.Tensor:
        if sample_weight is None and self.reduction == "sum_over_batch_size":
            return self.mean(y_true, y_pred)
        per_sample = self.call(y_true, y_pred)
        if sample_weight is not None:
            weight = sample_weight.to(per_sample.dtype)
            per_sample = per_sample * weight.reshape(weight.shape + (1,) * (per_sample.dim() - weight.dim()))
        if self.reduction == "none":
            return per_sample
        if self.reduction == "sum":
            return per_sample.sum()
        return per_sample.mean()

    def call(self, y_true, y_pred) -> torch.Tensor:
        raise NotImplementedError

    def mean(self, y_true, y_pred) -> torch.Tensor:
        """The batch mean; losses with a fused torch kernel for it override this."""
        return self.call(y_true, y_pred).mean()

    def get_config(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def with_logits(self) -> "Loss":
        """A copy of this loss that takes logits (used when the softmax/sigmoid is fused)."""
        config = self.get_config()
        config["from_logits"] = True
        return type(self)(**config)


class CategoricalCrossentropy(Loss):
    """-Σ y·log(p) with one-hot ``y_true``.

    >>> p = torch.tensor([[0.2, 0.8]])
    >>> round(CategoricalCrossentropy()(torch.tensor([[0., 1.]]), p).item(), 3)
    0.223
    """

    fuses_activation = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def call(self, y_true, y_pred):
        y_true = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            classes = y_pred.shape[self.axis]
            y_true = y_true * (1 - self.label_smoothing) + self.label_smoothing / classes
        if self.from_logits:
            log_p = F.log_softmax(y_pred, dim=self.axis)
        else:
            p = y_pred / y_pred.sum(dim=self.axis, keepdim=True)
            log_p = p.clamp(EPSILON, 1 - EPSILON).log()
        return -(y_true * log_p).sum(dim=self.axis)


class SparseCategoricalCrossentropy(Loss):
    """Crossentropy with integer class labels.

    >>> round(SparseCategoricalCrossentropy(from_logits=True)(torch.tensor([1]), torch.tensor([[0., 0.]])).item(), 4)
    0.6931
    """

    fuses_activation = "softmax"

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.from_logits, self.ignore_class = from_logits, ignore_class

    def call(self, y_true, y_pred):
        target = y_true.long()
        if target.dim() == y_pred.dim():  # (N, 1) labels, as Keras allows
            target = target.squeeze(-1)
        log_p = F.log_softmax(y_pred, dim=-1) if self.from_logits else y_pred.clamp(EPSILON, 1 - EPSILON).log()
        ignore = -100 if self.ignore_class is None else self.ignore_class
        if log_p.dim() > 2:  # (N, ..., C): classes last, as Keras outputs: one row per pixel/step
            # (a moved class axis made nll_loss's backward fail on channels-last image outputs)
            per_value = F.nll_loss(log_p.reshape(-1, log_p.shape[-1]), target.reshape(-1), reduction="none",
                                   ignore_index=ignore)
            return per_value.reshape(target.shape)
        return F.nll_loss(log_p, target, reduction="none", ignore_index=ignore)

    def mean(self, y_true, y_pred):
        if self.from_logits and self.ignore_class is None and y_pred.dim() == 2:
            target = y_true.long().reshape(-1) if y_true.dim() == 2 else y_true.long()
            return F.cross_entropy(y_pred, target)  # one fused kernel, forward and backward
        return self.call(y_true, y_pred).mean()


class BinaryCrossentropy(Loss):
    """-[y·log p + (1−y)·log(1−p)], averaged over the last axis.

    >>> round(BinaryCrossentropy()(torch.tensor([[1.]]), torch.tensor([[0.9]])).item(), 4)
    0.1054
    """

    fuses_activation = "sigmoid"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def call(self, y_true, y_pred):
        y_true = y_true.to(y_pred.dtype).reshape(y_pred.shape) if y_true.numel() == y_pred.numel() else y_true
        if self.label_smoothing:
            y_true = y_true * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        if self.from_logits:
            loss = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
        else:
            p = y_pred.clamp(EPSILON, 1 - EPSILON)
            loss = -(y_true * p.log() + (1 - y_true) * (1 - p).log())
        return loss.mean(dim=-1) if loss.dim() > 1 else loss

    def mean(self, y_true, y_pred):
        if self.from_logits and not self.label_smoothing and y_true.numel() == y_pred.numel():
            # one fused kernel (and backward node) instead of per-value losses and two means: the same
            # number, as every sample has the same count of values
            return F.binary_cross_entropy_with_logits(y_pred, y_true.to(y_pred.dtype).reshape(y_pred.shape))
        return super().mean(y_true, y_pred)


class MeanSquaredError(Loss):
    """mean((y − ŷ)²) over the last axis.

    >>> MeanSquaredError()(torch.tensor([[1., 2.]]), torch.tensor([[1., 4.]])).item()
    2.0
    """

    def call(self, y_true, y_pred):
        return (y_pred - y_true.to(y_pred.dtype).reshape(y_pred.shape)).square().mean(dim=-1)


class MeanAbsoluteError(Loss):
    """mean(|y − ŷ|) over the last axis."""

    def call(self, y_true, y_pred):
        return (y_pred - y_true.to(y_pred.dtype).reshape(y_pred.shape)).abs().mean(dim=-1)


class Huber(Loss):
    """Quadratic for |error| ≤ delta, linear beyond: robust regression.

    >>> Huber()(torch.tensor([[0.]]), torch.tensor([[3.]])).item()
    2.5
    """

    def __init__(self, delta: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        y_true = y_true.to(y_pred.dtype).reshape(y_pred.shape)
        return F.huber_loss(y_pred, y_true, reduction="none", delta=self.delta).mean(dim=-1)


def _signed(y_true, y_pred):
    y_true = y_true.to(y_pred.dtype).reshape(y_pred.shape)
    return torch.where(y_true <= 0, -1.0, 1.0).to(y_pred.dtype)  # Keras maps {0,1} labels to {-1,1}


class Hinge(Loss):
    """mean(max(0, 1 − y·ŷ)) with labels in {−1, 1} (or {0, 1})."""

    def call(self, y_true, y_pred):
        return F.relu(1 - _signed(y_true, y_pred) * y_pred).mean(dim=-1)


class SquaredHinge(Loss):
    """mean(max(0, 1 − y·ŷ)²)."""

    def call(self, y_true, y_pred):
        return F.relu(1 - _signed(y_true, y_pred) * y_pred).square().mean(dim=-1)


class KLDivergence(Loss):
    """Σ y·log(y / ŷ): how far the predicted distribution is from the true one."""

    def call(self, y_true, y_pred):
        y_true = y_true.to(y_pred.dtype).clamp(EPSILON, 1)
        return (y_true * (y_true / y_pred.clamp(EPSILON, 1)).log()).sum(dim=-1)


class Dice(Loss):
    """1 − Dice coefficient per sample: ``1 − 2·Σ(y·ŷ) / (Σy + Σŷ + ε)`` over all but the batch axis
    (Keras 3's ``Dice`` with ``axis`` = every non-batch axis). For segmentation: ``y_pred`` are
    per-pixel class probabilities (N, H, W, C); ``y_true`` one-hot (N, H, W, C) or class ids (N, H, W).

    >>> y = torch.tensor([[[0, 1], [1, 1]]]); p = torch.nn.functional.one_hot(y, 2).float()
    >>> Dice()(y, p).item()  # a perfect mask
    0.0
    >>> round(Dice()(torch.ones(1, 4), torch.full((1, 4), 0.5)).item(), 4)  # 1 - 2·2/(4 + 2)
    0.3333
    """

    def call(self, y_true, y_pred):
        if y_true.dim() == y_pred.dim() - 1 and y_pred.dim() > 2:  # class ids: one-hot them
            y_true = F.one_hot(y_true.long(), y_pred.shape[-1])
        y_true = y_true.to(y_pred.dtype).reshape(y_pred.shape)
        dims = tuple(range(1, y_pred.dim()))
        intersection = (y_true * y_pred).sum(dim=dims)
        return 1 - 2 * intersection / (y_true.sum(dim=dims) + y_pred.sum(dim=dims) + EPSILON)


ALL: dict[str, type[Loss]] = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "dice": Dice,
}


class _FunctionLoss(Loss):
    def __init__(self, fn: Callable, **kwargs):
        super().__init__(name=getattr(fn, "__name__", "loss"), **kwargs)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


class _TorchLoss(Loss):
    """A ``torch.nn`` loss module, called torch's way: ``module(y_pred, y_true)``."""

    def __init__(self, module: torch.nn.Module):
        super().__init__(name=type(module).__name__, reduction="none")
        self.module = module

    def call(self, y_true, y_pred):
        if isinstance(self.module, (torch.nn.CrossEntropyLoss, torch.nn.NLLLoss)):
            y_true = y_true.long().reshape(y_pred.shape[:1] + y_pred.shape[2:]) if y_true.dim() < y_pred.dim() else y_true
        return self.module(y_pred, y_true)


def get(identifier) -> Loss:
    """A loss from its Keras name, a Loss object, a function ``f(y_true, y_pred)`` (Keras' order),
    or a ``torch.nn`` loss module such as ``nn.CrossEntropyLoss()`` (called torch's way).

    >>> type(get('mse')).__name__
    'MeanSquaredError'
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return lookup("loss", identifier["class_name"], ALL)(**identifier.get("config", {}))
    if isinstance(identifier, torch.nn.Module):
        return _TorchLoss(identifier)
    if callable(identifier) and not isinstance(identifier, str):
        return _FunctionLoss(identifier)
    cls = lookup("loss", identifier, ALL)
    return cls(name=identifier) if isinstance(identifier, str) else cls()


def serialize(loss: Loss) -> dict:
    """``{'class_name', 'config'}`` of a built-in loss."""
    if isinstance(loss, (_FunctionLoss, _TorchLoss)):
        raise TypeError(f"Cannot save the custom loss function {loss.name!r}; pass it again with "
                        "load_model(..., compile=False) and compile yourself.")
    names = {cls: name for name, cls in reversed(list(ALL.items()))}
    return {"class_name": names[type(loss)], "config": loss.get_config()}
