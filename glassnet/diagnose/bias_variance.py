"""Bias and variance: the course's table and recipe, automated.

Compare the training-set error with the optimal ("Bayes") error — about 0 for
humans on clean images — and the dev-set error with the training-set error:

- **avoidable bias** = train error − Bayes error: the model does not even fit the data it
  learns from. Judged on the training set. Fix it first: a bigger network, longer training,
  another architecture.
- **variance** = dev error − train error: the model fits the training set but does not
  generalise. Judged on the dev set. Then: more data (augmentation), regularization
  (Dropout, L2, weight decay, early stopping), another architecture.

Each counts as *high* when it exceeds its threshold (:data:`BIAS_THRESHOLD` and
:data:`VARIANCE_THRESHOLD`, both 2 percentage points = 0.02; pass ``bias_threshold=`` /
``variance_threshold=`` to change them). Errors are fractions in [0, 1] (11 % is 0.11).

>>> result = bias_variance(0.01, 0.11)
>>> result.verdict
'high variance'
>>> round(result.variance, 2), round(result.avoidable_bias, 2)
(0.1, 0.01)

:func:`diagnose_model` (``model.diagnose``) measures both errors itself: on arrays or
datasets, as ``evaluate`` takes them, or from a ``History`` with validation metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError

BIAS_THRESHOLD = 0.02
"""Avoidable bias (train error − Bayes error) above this is *high bias*."""
VARIANCE_THRESHOLD = 0.02
"""Variance (dev error − train error) above this is *high variance*."""

VERDICTS = ("high bias", "high variance", "high bias and high variance", "low bias, low variance")

BIAS_RECIPE = (
    "Bigger network: more units in the Dense/Conv2D layers (e.g. Dense(256) instead of Dense(32)) "
    "or more layers.",
    "Train longer: raise `epochs` in model.fit (and try optimizer='adam' if plain SGD crawls).",
    "Another architecture: a convnet, or a model from glassnet.applications (e.g. ResNet18, MobileNetV2).",
)
VARIANCE_RECIPE = (
    "More data: collect more training examples, or multiply them with augmentation layers in front of "
    "the model (RandomFlip, RandomRotation, RandomZoom, RandomTranslation).",
    "Regularize: Dropout(0.5) between layers, kernel_regularizer=regularizers.l2(1e-4) on Dense/Conv2D, "
    "or weight decay in the optimizer (optimizers.AdamW(weight_decay=1e-4)).",
    "Stop early: callbacks=[EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)].",
    "Another architecture: one with fewer parameters for the data you have, or a pretrained model from "
    "glassnet.applications fine-tuned on your data.",
)
DONE_RECIPE = (
    "Both are low: measure the error on the test set once, and stop tuning on it.",
)


@dataclass(frozen=True)
class BiasVariance:
    """The diagnosis: errors (fractions), avoidable bias, variance, the verdict, the recipe
    (ordered steps to try) and notes on anything unusual in the numbers.

    ``str(result)`` is the plain-text report; rich and Jupyter render it as markdown.

    >>> print(bias_variance(0.15, 0.16))  # doctest: +NORMALIZE_WHITESPACE
    Verdict: high bias
      train error 15.0% · dev error 16.0% · Bayes error 0.0%
      avoidable bias 15.0% (high above 2.0%) · variance 1.0% (high above 2.0%)
    Try, in this order:
      1. Bigger network: more units in the Dense/Conv2D layers (e.g. Dense(256) instead of Dense(32)) or more layers.
      2. Train longer: raise `epochs` in model.fit (and try optimizer='adam' if plain SGD crawls).
      3. Another architecture: a convnet, or a model from glassnet.applications (e.g. ResNet18, MobileNetV2).
    """

    train_error: float
    dev_error: float
    bayes_error: float
    avoidable_bias: float
    variance: float
    verdict: str
    recipe: tuple[str, ...]
    bias_threshold: float = BIAS_THRESHOLD
    variance_threshold: float = VARIANCE_THRESHOLD
    notes: tuple[str, ...] = ()

    @property
    def high_bias(self) -> bool:
        """Whether the avoidable bias is above its threshold."""
        return self.avoidable_bias > self.bias_threshold

    @property
    def high_variance(self) -> bool:
        """Whether the variance is above its threshold."""
        return self.variance > self.variance_threshold

    def _numbers(self) -> tuple[str, str]:
        errors = (f"train error {self.train_error:.1%} · dev error {self.dev_error:.1%} · "
                  f"Bayes error {self.bayes_error:.1%}")
        gaps = (f"avoidable bias {self.avoidable_bias:.1%} (high above {self.bias_threshold:.1%}) · "
                f"variance {self.variance:.1%} (high above {self.variance_threshold:.1%})")
        return errors, gaps

    def __str__(self) -> str:
        errors, gaps = self._numbers()
        lines = [f"Verdict: {self.verdict}", f"  {errors}", f"  {gaps}", "Try, in this order:"]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.recipe, 1)]
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        """Jupyter's rich output: the verdict, the numbers and the recipe as markdown."""
        errors, gaps = self._numbers()
        lines = [f"**Verdict: {self.verdict}**", "", f"{errors}  ", gaps, "", "Try, in this order:", ""]
        lines += [f"{i}. {step}" for i, step in enumerate(self.recipe, 1)]
        lines += ["", *(f"*Note:* {note}" for note in self.notes)]
        return "\n".join(lines).rstrip() + "\n"

    def __rich__(self):
        """rich's hook (``Console().print(result)``): the markdown report."""
        from rich.markdown import Markdown
        return Markdown(self._repr_markdown_())


def _check_fraction(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"bias_variance: {name}={value!r} is not a number; pass an error rate "
                                   f"as a fraction in [0, 1], e.g. 0.11 for 11%.") from None
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        hint = (f" It looks like a percentage: pass {number / 100:g} for {number:g}%."
                if 1.0 < number <= 100.0 else "")
        raise InvalidArgumentError(f"bias_variance: {name}={value!r} is not an error rate in [0, 1]; pass "
                                   f"fractions (0.11 for 11%).{hint}")
    return number


def _check_threshold(value: Any, name: str) -> float:
    number = _check_fraction(value, name)
    if number == 0.0:
        raise InvalidArgumentError(f"bias_variance: {name}=0 would call every gap, however tiny, high; "
                                   f"pass a small positive fraction such as 0.01.")
    return number


def _verdict(high_bias: bool, high_variance: bool) -> str:
    if high_bias and high_variance:
        return "high bias and high variance"
    if high_bias:
        return "high bias"
    return "high variance" if high_variance else "low bias, low variance"


def _notes(train: float, dev: float, bayes: float) -> tuple[str, ...]:
    notes = []
    if dev < bayes:
        notes.append(f"the dev error ({dev:.1%}) is below the Bayes error you gave ({bayes:.1%}): that estimate "
                     f"is too high (or the dev set too small to measure it); the avoidable bias is then "
                     f"measured against an optimistic bound.")
    elif train < bayes:
        notes.append(f"the train error ({train:.1%}) is below the Bayes error ({bayes:.1%}): the model "
                     f"memorises the training set (noise included); the avoidable bias counts as 0.")
    if dev < train:
        notes.append(f"the dev error is {train - dev:.1%} below the train error: the dev set may be easier than "
                     f"or differ from the training set, or the train error was measured with Dropout or "
                     f"augmentation active (fit's running metrics); the variance counts as negative (low).")
    return tuple(notes)


def bias_variance(train_error: float, dev_error: float, bayes_error: float = 0.0, *,
                  bias_threshold: float = BIAS_THRESHOLD,
                  variance_threshold: float = VARIANCE_THRESHOLD) -> BiasVariance:
    """Diagnose bias and variance from the error rates (fractions in [0, 1]) and give the recipe.

    avoidable bias = max(train − Bayes, 0) and variance = dev − train; each is high above its
    threshold (default 0.02 each). The course's four cases:

    >>> [bias_variance(t, d).verdict for t, d in [(0.01, 0.11), (0.15, 0.16), (0.15, 0.30), (0.005, 0.01)]]
    ['high variance', 'high bias', 'high bias and high variance', 'low bias, low variance']
    >>> bias_variance(0.15, 0.16, bayes_error=0.14).verdict  # hard task: 15% is near the best possible
    'low bias, low variance'
    """
    train = _check_fraction(train_error, "train_error")
    dev = _check_fraction(dev_error, "dev_error")
    bayes = _check_fraction(bayes_error, "bayes_error")
    bias_threshold = _check_threshold(bias_threshold, "bias_threshold")
    variance_threshold = _check_threshold(variance_threshold, "variance_threshold")
    avoidable_bias = max(train - bayes, 0.0)
    variance = dev - train
    high_bias, high_variance = avoidable_bias > bias_threshold, variance > variance_threshold
    recipe = (BIAS_RECIPE if high_bias else ()) + (VARIANCE_RECIPE if high_variance else ())
    if high_bias and high_variance:  # one "another architecture" step, at the end
        recipe = BIAS_RECIPE[:2] + VARIANCE_RECIPE[:3] + (BIAS_RECIPE[2],)
    return BiasVariance(train, dev, bayes, avoidable_bias, variance, _verdict(high_bias, high_variance),
                        recipe or DONE_RECIPE, bias_threshold, variance_threshold, _notes(train, dev, bayes))


# ---------------------------------------------------------------------------- measuring a model
_ACCURACIES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy")
_NO_DEV_SET = ("The bias/variance verdict needs a dev set, and none was given: pass validation_data=(x_dev, "
               "y_dev) (a dataset works too), or a History from fit(..., validation_data=...). To make one, "
               "split your data with glassnet.datasets.split(x, y): 60/20/20 train/dev/test for small data "
               "sets, down to 98/1/1 from a million samples.")


def _accuracy_key(logs: dict) -> str | None:
    for key in logs:
        if key in _ACCURACIES or key.endswith(tuple(f"_{name}" for name in _ACCURACIES[2:])):
            return key
    return None


def errors_from_history(history: Any) -> tuple[float, float]:
    """(train error, dev error) = 1 − the last epoch's accuracy and validation accuracy in a
    ``History`` (or its ``.history`` dict).

    >>> errors_from_history({'accuracy': [0.8, 0.99], 'val_accuracy': [0.78, 0.9]})
    (0.010000000000000009, 0.09999999999999998)
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise InvalidArgumentError(f"diagnose: expected a History or its .history dict, got "
                                   f"{type(history).__name__}.")
    key = _accuracy_key({k: v for k, v in logs.items() if not k.startswith("val_")})
    if key is None:
        raise InvalidArgumentError(f"diagnose: the History has no accuracy ({sorted(logs)}); compile with "
                                   f"metrics=['accuracy'] and fit again, or pass the data to "
                                   f"model.diagnose(x, y, validation_data=...), which also handles regression.")
    if not logs.get(f"val_{key}"):
        raise InvalidArgumentError(_NO_DEV_SET.replace("and none was given", f"and the History has no 'val_{key}'"))
    return 1.0 - float(logs[key][-1]), 1.0 - float(logs[f"val_{key}"][-1])


def _is_classifier(model) -> bool:
    loss = model.compiled.losses[0]
    return "crossentropy" in str(getattr(loss, "name", loss)).lower() or "hinge" in str(getattr(loss, "name", loss))


def _as_numpy(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if torch.is_tensor(value) else np.asarray(value)


def _needs_arrays(x: Any, y: Any, what: str) -> None:
    if y is None or isinstance(x, (dict, list, tuple)) and not isinstance(x, np.ndarray):
        raise InvalidArgumentError(f"diagnose: measuring {what} needs in-memory arrays x and y (one input, one "
                                   f"output); for a dataset, compile with metrics=['accuracy'] (classification) "
                                   f"or pass arrays.")


def _classification_error(model, x: Any, y: Any, batch_size: int | None) -> float:
    logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    key = _accuracy_key(logs)
    if key is not None:
        return 1.0 - float(logs[key])
    _needs_arrays(x, y, "the accuracy without an accuracy metric")
    pred = _as_numpy(model.predict(x, batch_size=batch_size, verbose=0))
    labels = _as_numpy(y)
    if pred.ndim > 1 and pred.shape[-1] > 1:
        guess = pred.argmax(-1)
        labels = labels.argmax(-1) if labels.shape == pred.shape else labels.reshape(guess.shape)
    else:
        guess = (pred.reshape(labels.shape) > (0.0 if pred.min() < 0 or pred.max() > 1 else 0.5)).astype(labels.dtype)
    return float(np.mean(guess != labels))


def _regression_error(model, x: Any, y: Any, baseline: torch.Tensor, batch_size: int | None) -> float:
    """The loss relative to that of predicting ``baseline`` (the training targets' mean), capped at 1."""
    _needs_arrays(x, y, "a regression error")
    loss = model.compiled.losses[0]
    target = torch.as_tensor(_as_numpy(y), dtype=torch.float32)
    pred = torch.as_tensor(_as_numpy(model.predict(x, batch_size=batch_size, verbose=0)), dtype=torch.float32)
    target = target.reshape(pred.shape) if target.numel() == pred.numel() else target
    model_loss = float(loss(target, pred))
    baseline_loss = float(loss(target, baseline.expand_as(pred)))
    if baseline_loss <= 0.0:
        return 0.0 if model_loss <= 0.0 else 1.0
    return min(model_loss / baseline_loss, 1.0)


def measure_errors(model, x: Any, y: Any = None, validation_data: Any = None,
                   batch_size: int | None = None) -> tuple[float, float]:
    """(train error, dev error) of a compiled model. Classification (a crossentropy or hinge loss, or
    an accuracy metric): 1 − accuracy. Regression: the loss divided by the loss of always predicting
    the training targets' mean (1 = no better than the mean)."""
    model._require_compiled("diagnose")
    if validation_data is None:
        raise InvalidArgumentError(_NO_DEV_SET)
    dev_x, dev_y = (validation_data[0], validation_data[1]) if isinstance(validation_data, (tuple, list)) \
        else (validation_data, None)
    if _is_classifier(model) or _accuracy_key({n: 0 for n in model.metrics_names}):
        return (_classification_error(model, x, y, batch_size),
                _classification_error(model, dev_x, dev_y, batch_size))
    _needs_arrays(x, y, "a regression error")
    targets = torch.as_tensor(_as_numpy(y), dtype=torch.float32)
    baseline = targets.reshape(len(targets), -1).mean(0)
    return (_regression_error(model, x, y, baseline, batch_size),
            _regression_error(model, dev_x, dev_y, baseline, batch_size))


def diagnose_model(model, x: Any = None, y: Any = None, *, validation_data: Any = None,
                   bayes_error: float = 0.0, batch_size: int | None = None, verbose: bool = True,
                   bias_threshold: float = BIAS_THRESHOLD,
                   variance_threshold: float = VARIANCE_THRESHOLD) -> BiasVariance:
    """``model.diagnose``: measure the train and dev errors, print the verdict with the recipe
    (``verbose=False``: don't) and return the :class:`BiasVariance`.

    ``x``/``y`` are the training data as ``evaluate`` takes them and ``validation_data`` the dev
    data as ``fit`` takes it; or pass a ``History`` (from ``fit(..., validation_data=...)`` with
    ``metrics=['accuracy']``) as ``x``: its last epoch is judged. See :func:`measure_errors`.

    >>> import numpy as np
    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Dense
    >>> model = Sequential([Dense(2, activation='softmax', input_dim=1)])
    >>> model.set_weights([np.array([[-1.0, 1.0]]), np.zeros(2)])  # class 0 for x < 0, class 1 for x > 0
    >>> model.compile(loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    >>> x, y = np.array([[-1.0], [1.0]]), np.array([0, 1])
    >>> result = diagnose_model(model, x, y, validation_data=(x, 1 - y), verbose=False)
    >>> result.train_error, result.dev_error, result.verdict
    (0.0, 1.0, 'high variance')
    """
    if hasattr(x, "history") or isinstance(x, dict) and y is None:
        train_error, dev_error = errors_from_history(x)
    else:
        train_error, dev_error = measure_errors(model, x, y, validation_data, batch_size)
    result = bias_variance(train_error, dev_error, bayes_error, bias_threshold=bias_threshold,
                           variance_threshold=variance_threshold)
    if verbose:
        from rich.console import Console
        Console().print(result)
    return result


__all__ = ["BiasVariance", "bias_variance", "diagnose_model", "measure_errors", "errors_from_history",
           "BIAS_THRESHOLD", "VARIANCE_THRESHOLD"]
