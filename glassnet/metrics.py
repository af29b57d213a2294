"""Metrics with Keras names, computed on the training device.

The accuracies are two on-device counters; the others are torchmetrics objects.

Each metric accumulates over an epoch without host synchronisation and is read
once per progress refresh. ``'accuracy'`` picks binary, categorical or sparse
accuracy from the loss and the shapes, as Keras does.

>>> import torch
>>> m = get('accuracy')
>>> m.update(torch.tensor([0, 1]), torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
>>> m.result().item()
0.5
"""

from __future__ import annotations

from typing import Callable

import torch
import torchmetrics
from torchmetrics import classification as tmc

from glassnet.naming import lookup


class Metric:
    """Base: ``update(y_true, y_pred)`` per batch, ``result()`` as a device scalar, ``reset()``."""

    #: True if the value is the same on softmax logits as on probabilities (arg-max based), so the
    #: trainer can skip computing the softmax each step
    accepts_logits = False

    def __init__(self, name: str | None = None):
        self.name = name or type(self).__name__.lower()
        self._metric: torchmetrics.Metric | None = None
        self._device = torch.device("cpu")

    def _make(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torchmetrics.Metric:
        raise NotImplementedError

    def _prepare(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return y_pred, y_true

    def update(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight=None) -> None:
        """Accumulate one batch (``y_pred`` are probabilities / values in the user's layout)."""
        y_pred = y_pred.detach().float()
        if self._metric is None:
            self._metric = self._make(y_true, y_pred).to(y_pred.device)
        preds, target = self._prepare(y_true, y_pred)
        self._metric.update(preds, target)

    def result(self) -> torch.Tensor:
        """The value over everything seen since the last reset."""
        if self._metric is None or not self._metric.update_called:
            return torch.tensor(float("nan"))
        return self._metric.compute()

    def reset(self) -> None:
        if self._metric is not None:
            self._metric.reset()

    def get_config(self) -> dict:
        return {"name": self.name}


def _classes(y_pred: torch.Tensor) -> int:
    return int(y_pred.shape[-1])


def _sparse(y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
    """Integer labels from one-hot or (N, 1) or (N,) labels."""
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == y_pred.shape[-1] and y_pred.shape[-1] > 1:
        return y_true.argmax(dim=-1)
    return y_true.reshape(y_pred.shape[:-1]).long()


class _MatchRate(Metric):
    """Fraction of samples where ``_matches`` holds, counted on the device.

    Two counters instead of a torchmetrics object: the accuracies update every training step,
    and torchmetrics' generic update costs tens of microseconds of Python per call — a tenth
    of a small model's step on a CPU. The result is the same number.
    """

    def __init__(self, name: str | None = None):
        super().__init__(name)
        self._correct: torch.Tensor | None = None  # int64 on the device: no host sync per step
        self._count = 0

    def _matches(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def update(self, y_true, y_pred, sample_weight=None):
        matches = self._matches(y_true, y_pred.detach().float())
        correct = matches.sum()
        self._correct = correct if self._correct is None else self._correct + correct
        self._count += matches.numel()

    def result(self) -> torch.Tensor:
        if not self._count:
            return torch.tensor(float("nan"))
        return self._correct / self._count

    def reset(self) -> None:
        self._correct, self._count = None, 0


class BinaryAccuracy(_MatchRate):
    """Fraction of predictions on the right side of ``threshold`` (default 0.5)."""

    def __init__(self, name: str = "binary_accuracy", threshold: float = 0.5):
        super().__init__(name)
        self.threshold = threshold

    def _matches(self, y_true, y_pred):
        return (y_pred > self.threshold).long().reshape(-1) == y_true.reshape(-1).long()


class SparseCategoricalAccuracy(_MatchRate):
    """Fraction where arg-max of the prediction equals the integer label."""

    accepts_logits = True

    def __init__(self, name: str = "sparse_categorical_accuracy"):
        super().__init__(name)

    def _matches(self, y_true, y_pred):
        return y_pred.argmax(dim=-1).reshape(-1) == _sparse(y_true, y_pred).reshape(-1)


class CategoricalAccuracy(SparseCategoricalAccuracy):
    """Fraction where arg-max of the prediction equals arg-max of the one-hot label."""

    def __init__(self, name: str = "categorical_accuracy"):
        super().__init__(name)


class Accuracy(Metric):
    """Keras' 'accuracy': binary, categorical or sparse depending on the loss and shapes."""

    def __init__(self, name: str = "accuracy", loss_name: str | None = None):
        super().__init__(name)
        self.loss_name = loss_name
        self._inner: Metric | None = None

    def update(self, y_true, y_pred, sample_weight=None):
        if self._inner is None:
            self._inner = self._choose(y_true, y_pred)
        self._inner.update(y_true, y_pred)

    @property
    def accepts_logits(self) -> bool:
        return self._inner is not None and self._inner.accepts_logits

    def _choose(self, y_true, y_pred) -> Metric:
        if (self.loss_name and "binary" in self.loss_name) or y_pred.shape[-1] == 1:
            return BinaryAccuracy(self.name)
        return SparseCategoricalAccuracy(self.name)  # handles one-hot labels too

    def result(self):
        return self._inner.result() if self._inner is not None else torch.tensor(float("nan"))

    def reset(self):
        if self._inner is not None:
            self._inner.reset()


class TopKCategoricalAccuracy(Metric):
    """Fraction where the true class is among the ``k`` highest predictions."""

    accepts_logits = True

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy"):
        super().__init__(name)
        self.k = k

    def _make(self, y_true, y_pred):
        return tmc.MulticlassAccuracy(num_classes=_classes(y_pred), top_k=self.k, average="micro",
                                      validate_args=False)

    def _prepare(self, y_true, y_pred):
        return y_pred.reshape(-1, y_pred.shape[-1]), _sparse(y_true, y_pred).reshape(-1)


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Top-k accuracy with integer labels."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy"):
        super().__init__(k, name)


class _Thresholded(Metric):
    """Precision/recall as Keras computes them: every output thresholded at 0.5, pooled."""

    torchmetrics_class: type = tmc.BinaryPrecision

    def __init__(self, name: str | None = None, thresholds: float = 0.5):
        super().__init__(name)
        self.thresholds = thresholds

    def _make(self, y_true, y_pred):
        return self.torchmetrics_class(validate_args=False)

    def _prepare(self, y_true, y_pred):
        if y_pred.shape[-1] > 1 and y_true.dim() < y_pred.dim():
            y_true = torch.nn.functional.one_hot(y_true.long().reshape(y_pred.shape[:-1]), y_pred.shape[-1])
        return (y_pred > self.thresholds).long().reshape(-1), y_true.reshape(-1).long()


class Precision(_Thresholded):
    """TP / (TP + FP) over thresholded predictions."""

    torchmetrics_class = tmc.BinaryPrecision

    def __init__(self, name: str = "precision", thresholds: float = 0.5):
        super().__init__(name, thresholds)


class Recall(_Thresholded):
    """TP / (TP + FN) over thresholded predictions."""

    torchmetrics_class = tmc.BinaryRecall

    def __init__(self, name: str = "recall", thresholds: float = 0.5):
        super().__init__(name, thresholds)


class AUC(Metric):
    """Area under the ROC curve (200 thresholds, as Keras), pooling all outputs."""

    def __init__(self, name: str = "auc", num_thresholds: int = 200):
        super().__init__(name)
        self.num_thresholds = num_thresholds

    def _make(self, y_true, y_pred):
        return tmc.BinaryAUROC(thresholds=self.num_thresholds, validate_args=False)

    def _prepare(self, y_true, y_pred):
        if y_pred.shape[-1] > 1 and y_true.dim() < y_pred.dim():
            y_true = torch.nn.functional.one_hot(y_true.long().reshape(y_pred.shape[:-1]), y_pred.shape[-1])
        return y_pred.reshape(-1), y_true.reshape(-1).long()


class MeanAbsoluteError(Metric):
    """mean(|y − ŷ|)."""

    def __init__(self, name: str = "mean_absolute_error"):
        super().__init__(name)

    def _make(self, y_true, y_pred):
        return torchmetrics.MeanAbsoluteError()

    def _prepare(self, y_true, y_pred):
        return y_pred.reshape(-1), y_true.reshape(-1).to(y_pred.dtype)


class MeanSquaredError(MeanAbsoluteError):
    """mean((y − ŷ)²)."""

    def __init__(self, name: str = "mean_squared_error"):
        Metric.__init__(self, name)

    def _make(self, y_true, y_pred):
        return torchmetrics.MeanSquaredError()


ALL: dict[str, Callable[..., Metric]] = {
    "accuracy": Accuracy, "acc": Accuracy,
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "auc": AUC,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
}


def get(identifier, loss_name: str | None = None) -> Metric:
    """A metric from its Keras name (or the object itself).

    >>> get('acc').name
    'acc'
    """
    if isinstance(identifier, Metric):
        return identifier
    cls = lookup("metric", identifier, ALL)
    if cls is Accuracy:
        return Accuracy(name=identifier, loss_name=loss_name)
    return cls(name=identifier)
