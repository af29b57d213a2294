"""Metrics with Keras names and Keras' Metric API, computed on the training device.

Every metric has Keras' methods — ``update_state(y_true, y_pred, sample_weight=None)``,
``result()``, ``reset_state()``, ``m(y_true, y_pred)`` — and the trainer's names
``update`` / ``reset`` (the same, plus moving the metric's state to the batch's device).
Write your own like in Keras: subclass :class:`Metric`, create state with
``add_variable`` (or ``add_weight``), update it with ``assign_add`` in ``update_state``
and pass an instance to ``compile(metrics=[...])``. :class:`Mean` and :class:`Sum`
track any value (e.g. a loss in a custom ``train_step``).

The accuracies are two on-device counters; the others are torchmetrics objects.
Each metric accumulates over an epoch without host synchronisation and is read
once per progress refresh. ``'accuracy'`` picks binary, categorical or sparse
accuracy from the loss and the shapes, as Keras does.

>>> import torch
>>> m = get('accuracy')
>>> m.update_state(torch.tensor([0, 1]), torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
>>> m.result().item()
0.5
>>> tracker = Mean(name='loss'); tracker.update_state(2.0); tracker.update_state(4.0); float(tracker.result())
3.0
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch
import torchmetrics
from torchmetrics import classification as tmc

from glassnet import serialization
from glassnet.naming import lookup, snake_case
from glassnet.variables import Variable


class Metric:
    """Base class: Keras' Metric API (see the module docstring) on top of glassnet's trainer interface.

    >>> class Positives(Metric):
    ...     def __init__(self, name='positives', **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.count = self.add_variable(shape=(), initializer='zeros', name='count')
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.count.assign_add((y_pred > 0.5).sum())
    ...     def result(self):
    ...         return self.count
    >>> m = Positives(); float(m(torch.zeros(3), torch.tensor([0.2, 0.7, 0.9])))
    2.0
    >>> m.reset_state(); float(m.result())
    0.0
    """

    #: True if the value is the same on softmax logits as on probabilities (arg-max based)
    accepts_logits = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith("glassnet"):
            serialization.register(cls)  # your metrics load by name, like your layers

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._metric: torchmetrics.Metric | None = None
        self._variables: list[Variable] = []
        self._device: torch.device | None = None

    # ------------------------------------------------------------------ Keras' API
    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """A state variable (a :class:`~glassnet.variables.Variable`: ``assign``, ``assign_add``...),
        reset to zeros by ``reset_state`` and moved to the batches' device by the trainer."""
        variable = Variable(initializer=initializer, shape=shape, dtype=dtype or self.dtype, trainable=False,
                            name=name)
        if self._device is not None:
            variable.data = variable.data.to(self._device)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                   name: str | None = None) -> Variable:
        """Keras 2's name for :meth:`add_variable`."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The state variables made by ``add_variable``."""
        return list(self._variables)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Accumulate one batch (``y_pred`` are probabilities / values in the user's layout)."""
        y_pred = torch.as_tensor(y_pred).detach().float()
        y_true = torch.as_tensor(y_true)
        if self._metric is None:
            self._metric = self._make(y_true, y_pred).to(y_pred.device)
        preds, target = self._prepare(y_true, y_pred)
        self._metric.update(preds, target)

    def result(self) -> torch.Tensor:
        """The value over everything seen since the last reset."""
        if self._metric is None or not self._metric.update_called:
            return torch.tensor(float("nan"))
        return self._metric.compute()

    def reset_state(self) -> None:
        """Forget everything seen: variables back to zero (as Keras does), accumulators emptied."""
        for variable in self._variables:
            variable.assign(torch.zeros_like(variable))
        if self._metric is not None:
            self._metric.reset()

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """``update_state(...)`` then ``result()`` (Keras' standalone use)."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------ the trainer's interface
    def update(self, y_true: torch.Tensor, y_pred: torch.Tensor, sample_weight: Any = None) -> None:
        """The trainer's per-batch call: state follows the batch's device, then ``update_state``."""
        self._follow(y_pred)
        self.update_state(y_true, y_pred, sample_weight=sample_weight)

    def _follow(self, value: Any) -> None:
        """Move the state variables to ``value``'s device (once): no copy to the host per batch."""
        if self._variables and torch.is_tensor(value) and self._device != value.device:
            for variable in self._variables:
                variable.data = variable.data.to(value.device)
            self._device = value.device

    def reset(self) -> None:
        """The trainer's name for :meth:`reset_state`."""
        self.reset_state()

    def _make(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> torchmetrics.Metric:
        raise NotImplementedError(f"{type(self).__name__} must define update_state() and result() "
                                  "(Keras' Metric API).")

    def _prepare(self, y_true: torch.Tensor, y_pred: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return y_pred, y_true

    def get_config(self) -> dict:
        """Constructor arguments (for saving): those of ``__init__`` stored under the same attribute name.

        >>> BinaryAccuracy(threshold=0.7).get_config()
        {'name': 'binary_accuracy', 'threshold': 0.7}
        """
        params = inspect.signature(type(self).__init__).parameters.values()
        names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]
        return {n: getattr(self, n) for n in names if n != "dtype" and isinstance(getattr(self, n, None),
                                                                                   (str, int, float, bool))}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        """Rebuild from :meth:`get_config`'s output."""
        return cls(**config)


class Mean(Metric):
    """The (weighted) mean of every value given to ``update_state(values, sample_weight=None)``.

    >>> m = Mean(); m.update_state(torch.tensor([1.0, 3.0]), sample_weight=torch.tensor([1.0, 0.0]))
    >>> float(m.result())
    1.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._follow(values)
        values = torch.as_tensor(values, device=self.total.device).detach().to(self.total.dtype)
        if sample_weight is None:
            self.total.assign_add(values.sum())
            self.count.assign_add(float(values.numel()))
            return
        weight = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
        weight = weight.reshape(weight.shape + (1,) * (values.dim() - weight.dim())).expand_as(values)
        self.total.assign_add((values * weight).sum())
        self.count.assign_add(weight.sum())

    def result(self) -> torch.Tensor:
        return torch.where(self.count > 0, self.total / self.count.clamp(min=1e-12), torch.zeros_like(self.total))


class Sum(Metric):
    """The (weighted) sum of every value given to ``update_state(values, sample_weight=None)``.

    >>> m = Sum(); m.update_state([1.0, 2.0]); m.update_state(3.0); float(m.result())
    6.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._follow(values)
        values = torch.as_tensor(values, device=self.total.device).detach().to(self.total.dtype)
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight, device=values.device).to(values.dtype)
            values = values * weight.reshape(weight.shape + (1,) * (values.dim() - weight.dim()))
        self.total.assign_add(values.sum())

    def result(self) -> torch.Tensor:
        return self.total.detach().clone()


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred)`` — how a plain function works as a metric
    (``compile(metrics=[my_fn])``).

    >>> m = MeanMetricWrapper(lambda t, p: (t - p).abs(), name='l1')
    >>> float(m(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 4.0])))
    1.0
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._fn(torch.as_tensor(y_true), torch.as_tensor(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

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

    def update_state(self, y_true, y_pred, sample_weight=None):
        matches = self._matches(torch.as_tensor(y_true), torch.as_tensor(y_pred).detach().float())
        correct = matches.sum()
        self._correct = correct if self._correct is None else self._correct + correct
        self._count += matches.numel()

    def result(self) -> torch.Tensor:
        if not self._count:
            return torch.tensor(float("nan"))
        return self._correct / self._count

    def reset_state(self) -> None:
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

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = torch.as_tensor(y_true), torch.as_tensor(y_pred)
        if self._inner is None:
            self._inner = self._choose(y_true, y_pred)
        self._inner.update_state(y_true, y_pred)

    @property
    def accepts_logits(self) -> bool:
        return self._inner is not None and self._inner.accepts_logits

    def _choose(self, y_true, y_pred) -> Metric:
        if (self.loss_name and "binary" in self.loss_name) or y_pred.shape[-1] == 1:
            return BinaryAccuracy(self.name)
        return SparseCategoricalAccuracy(self.name)  # handles one-hot labels too

    def result(self):
        return self._inner.result() if self._inner is not None else torch.tensor(float("nan"))

    def reset_state(self):
        if self._inner is not None:
            self._inner.reset_state()


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


class IoU(Metric):
    """Intersection over union of chosen classes, Keras' ``IoU``: a confusion matrix over every
    pixel (or sample) seen, then ``IoU_c = TP / (TP + FP + FN)`` per class, averaged over the
    ``target_class_ids`` that occur in the labels or the predictions. ``sparse_y_true`` /
    ``sparse_y_pred`` say whether labels / predictions are class ids (Keras' defaults: True) or
    one-hot / probabilities (arg-max over ``axis``); a training model's softmax output needs
    ``sparse_y_pred=False``. Pixels labelled ``ignore_class`` do not count.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> round(float(m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))), 4)  # 1 / (1 + 1 + 1)
    0.3333
    """

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes, self.ignore_class, self.axis = int(num_classes), ignore_class, axis
        self.target_class_ids = [int(c) for c in target_class_ids]
        bad = [c for c in self.target_class_ids if not 0 <= c < self.num_classes]
        if bad:
            raise ValueError(f"{type(self).__name__}: target_class_ids {bad} are not classes of "
                             f"num_classes={self.num_classes} (0..{self.num_classes - 1}).")
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes), name="total_confusion_matrix")

    def _class_ids(self, values: torch.Tensor, sparse: bool, what: str, other: torch.Tensor) -> torch.Tensor:
        if not sparse:
            return values.argmax(dim=self.axis)
        if values.is_floating_point() and values.dim() == other.dim() + 1 and values.shape[-1] == self.num_classes:
            raise ValueError(f"{self.name} got {what} of shape {tuple(values.shape)}: one score per class, but "
                             f"sparse_y_{'pred' if what == 'predictions' else 'true'}=True expects class ids. "
                             f"Pass sparse_y_{'pred' if what == 'predictions' else 'true'}=False "
                             f"(e.g. MeanIoU(num_classes={self.num_classes}, sparse_y_pred=False)).")
        return values.round().long() if values.is_floating_point() else values.long()

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = torch.as_tensor(y_true), torch.as_tensor(y_pred).detach()
        true = self._class_ids(y_true, self.sparse_y_true, "labels", y_pred).reshape(-1)
        pred = self._class_ids(y_pred, self.sparse_y_pred, "predictions", y_true).reshape(-1).to(true.device)
        if true.numel() != pred.numel():
            raise ValueError(f"{self.name}: {true.numel()} labels but {pred.numel()} predictions "
                             f"(shapes {tuple(y_true.shape)} and {tuple(y_pred.shape)}).")
        weight = torch.ones_like(true, dtype=torch.float32)
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight, device=true.device).float().reshape(-1)
            if weight.numel() != true.numel():  # one weight per sample: spread over its pixels
                weight = weight.repeat_interleave(true.numel() // max(weight.numel(), 1))
        keep = (true >= 0) & (true < self.num_classes)
        if self.ignore_class is not None:
            keep &= true != self.ignore_class
        true, pred, weight = true[keep], pred[keep].clamp(0, self.num_classes - 1), weight[keep]
        counts = torch.bincount(true * self.num_classes + pred, weights=weight, minlength=self.num_classes ** 2)
        self._follow(counts)
        self.total_cm.assign_add(counts.reshape(self.num_classes, self.num_classes).to(self.total_cm.dtype))

    def result(self) -> torch.Tensor:
        cm = self.total_cm.detach()
        true_positives = cm.diagonal()
        denominator = cm.sum(0) + cm.sum(1) - true_positives
        ids = torch.tensor(self.target_class_ids, device=cm.device, dtype=torch.long)
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = (denominator > 1e-9).sum()
        return (true_positives / (denominator + 1e-7)).sum() / (valid + 1e-7)

    def get_config(self) -> dict:
        return {"name": self.name, "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` (those present in labels or predictions), Keras'
    ``MeanIoU``: the standard semantic-segmentation score.

    >>> m = MeanIoU(num_classes=2)
    >>> round(float(m(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))), 4)
    0.3333
    >>> probabilities = torch.tensor([[0.1, 0.2, 0.7]])
    >>> round(MeanIoU(num_classes=3, sparse_y_pred=False)(torch.tensor([2]), probabilities).item(), 4)
    1.0
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(num_classes, range(num_classes), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels and per-class scores (Keras' ``OneHotMeanIoU``).

    >>> round(OneHotMeanIoU(num_classes=2)(torch.tensor([[0., 1.]]), torch.tensor([[0.3, 0.7]])).item(), 4)
    1.0
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


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


def serialize(metric: Metric) -> dict:
    """``{'class_name', 'config'}`` of a metric, for saved compile settings.

    >>> serialize(SparseTopKCategoricalAccuracy(k=3))
    {'class_name': 'SparseTopKCategoricalAccuracy', 'config': {'k': 3, 'name': 'sparse_top_k_categorical_accuracy'}}
    """
    return {"class_name": serialization.registered_name(type(metric)), "config": metric.get_config()}


def serialize_lookup(config: dict) -> Metric:
    """The metric :func:`serialize` described (glassnet's by class name, yours from the registry).

    >>> serialize_lookup({'class_name': 'Mean', 'config': {'name': 'loss'}}).name
    'loss'
    """
    name = config["class_name"]
    builtin = {cls.__name__: cls for cls in _all_subclasses(Metric) if cls.__module__ == __name__}
    cls = builtin.get(name) or serialization.get_class(name)
    return cls.from_config(config.get("config", {}))


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def get(identifier, loss_name: str | None = None) -> Metric:
    """A metric from its Keras name, the object itself, a Metric class, or a function
    ``fn(y_true, y_pred) -> per-sample values`` (averaged, as Keras does).

    >>> get('acc').name
    'acc'
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict) and "class_name" in identifier:  # a saved metric (your own class too)
        return serialize_lookup(identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    cls = lookup("metric", identifier, ALL)
    if cls is Accuracy:
        return Accuracy(name=identifier, loss_name=loss_name)
    return cls(name=identifier)
