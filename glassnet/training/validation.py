"""Checks made before training, so day-one mistakes get a clear message.

Labels out of range, one-hot labels given to a sparse loss (and the reverse),
and targets outside [0, 1] for binary crossentropy are caught here, with a
sentence on how to fix them — for arrays once, for iterable data on every batch
(:func:`labels_checker`, on the host). :func:`validate_fit_arguments` refuses
impossible ``fit`` arguments, :func:`check_last_batch` a last batch of one sample
that batch normalization cannot train on.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils import _pytree as pytree

from glassnet import losses
from glassnet.errors import InvalidArgumentError, LabelError


def check_labels(loss, y: torch.Tensor, y_pred_shape: tuple, output: str = "output") -> None:
    """Raise :class:`LabelError` if labels ``y`` can't go with ``loss`` and predictions of ``y_pred_shape``.

    >>> check_labels(losses.SparseCategoricalCrossentropy(), torch.tensor([0, 1]), (2, 10))
    """
    if loss is None or not torch.is_tensor(y):
        return
    classes = y_pred_shape[-1]
    name = getattr(loss, "name", type(loss).__name__)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        if y.dim() == len(y_pred_shape) and y.shape[-1] == classes and classes > 1:
            raise LabelError(
                f"'{name}' expects integer class labels, but the labels for {output} look one-hot "
                f"(shape {tuple(y.shape)}). Use loss='categorical_crossentropy', or pass y.argmax(axis=-1).")
        if y.is_floating_point() and not torch.equal(y, y.round()):
            raise LabelError(f"'{name}' expects integer class labels, but the labels for {output} have "
                             "fractional values.")
        low, high = int(y.min()), int(y.max())
        if low < 0 or high >= classes:
            raise LabelError(
                f"Labels for {output} range from {low} to {high}, but the model outputs {classes} classes "
                f"(labels 0..{classes - 1}). Give the last layer as many units as there are classes, "
                "or re-number the labels from 0.")
    elif isinstance(loss, losses.CategoricalCrossentropy):
        if classes > 1 and (y.dim() < len(y_pred_shape) or y.shape[-1] == 1):
            raise LabelError(
                f"'{name}' expects one-hot labels of shape (N, {classes}), but the labels for {output} have "
                f"shape {tuple(y.shape)} (integer classes). Use loss='sparse_categorical_crossentropy', or "
                f"one-hot encode them: glassnet.utils.to_categorical(y, {classes}).")
        if y.shape[-1] != classes:
            raise LabelError(f"Labels for {output} have {y.shape[-1]} columns but the model outputs {classes} "
                             "classes: they must match.")
    elif isinstance(loss, losses.BinaryCrossentropy):
        low, high = float(y.min()), float(y.max())
        if low < 0 or high > 1:
            raise LabelError(f"'{name}' expects targets in [0, 1], but the labels for {output} range from "
                             f"{low:g} to {high:g}. For several classes use a softmax output with "
                             "'sparse_categorical_crossentropy'.")


def labels_checker(losses_: Sequence[Any], output_names: Sequence[str], pred_shapes: Sequence[tuple],
                   as_list: Callable[[Any], list]) -> Callable[[Any], None]:
    """A function checking one batch's labels (host tensors) like :func:`check_labels` does for the first.

    ``fit`` gives it to iterable data (``IterableData.label_check``), which calls it for each batch
    before moving it to the device.

    >>> check = labels_checker([losses.SparseCategoricalCrossentropy()], ['out'], [(1, 3)], lambda y: [y])
    >>> check(torch.tensor([0, 2]))
    >>> check(torch.tensor([0, 7]))
    Traceback (most recent call last):
    ...
    glassnet.errors.LabelError: Labels for output 'out' range from 0 to 7, but the model outputs 3 classes (labels 0..2). Give the last layer as many units as there are classes, or re-number the labels from 0.
    """
    def check(y: Any) -> None:
        for loss, target, shape, name in zip(losses_, as_list(y), pred_shapes, output_names):
            if torch.is_tensor(target) and target.numel():
                if not (target.is_floating_point() or target.dtype in (torch.int64, torch.int32, torch.int16,
                                                                        torch.int8, torch.uint8, torch.bool)):
                    raise LabelError(f"Labels for output '{name}' are {target.dtype}, not numbers a loss can use.")
                check_labels(loss, target, tuple(shape), f"output '{name}'")
    return check


def _whole(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def validate_fit_arguments(epochs: Any = 1, initial_epoch: Any = 0, batch_size: Any = None,
                           steps_per_epoch: Any = None, validation_split: Any = 0.0, validation_freq: Any = 1,
                           validation_steps: Any = None, validation_batch_size: Any = None) -> None:
    """Refuse ``fit`` arguments that cannot work, instead of silently training 0 epochs or changing them.

    >>> validate_fit_arguments(epochs=5, initial_epoch=2, batch_size=16)
    >>> validate_fit_arguments(epochs=2, initial_epoch=3)
    Traceback (most recent call last):
    ...
    glassnet.errors.InvalidArgumentError: initial_epoch=3 is after epochs=2: fit would train nothing. epochs is the epoch to stop at (not a count of further epochs): to resume at epoch 3 for 2 more, pass epochs=5.
    """
    if not _whole(epochs) or epochs < 0:
        raise InvalidArgumentError(f"epochs must be a whole number >= 0, got {epochs!r}.")
    if not _whole(initial_epoch) or initial_epoch < 0:
        raise InvalidArgumentError(f"initial_epoch must be a whole number >= 0, got {initial_epoch!r}.")
    if initial_epoch > epochs:
        raise InvalidArgumentError(
            f"initial_epoch={initial_epoch} is after epochs={epochs}: fit would train nothing. epochs is the "
            f"epoch to stop at (not a count of further epochs): to resume at epoch {initial_epoch} for "
            f"{epochs} more, pass epochs={initial_epoch + epochs}.")
    for name, value, unit in (("batch_size", batch_size, "samples"), ("steps_per_epoch", steps_per_epoch, "batches"),
                              ("validation_steps", validation_steps, "batches"),
                              ("validation_batch_size", validation_batch_size, "samples")):
        if value is not None and (not _whole(value) or value < 1):
            raise InvalidArgumentError(f"{name} must be a whole number of {unit} >= 1, got {value!r}.")
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float, np.floating)) \
            or not 0 <= validation_split < 1:
        raise InvalidArgumentError(f"validation_split must be a fraction in [0, 1), got {validation_split!r}.")
    if not _whole(validation_freq) or validation_freq < 1:
        raise InvalidArgumentError(f"validation_freq must be a whole number of epochs >= 1, got {validation_freq!r}.")


def check_last_batch(model: torch.nn.Module, num_samples: int, batch_size: int, example: Any) -> None:
    """Refuse a training run whose last batch holds one sample when the model batch-normalizes
    features with one value per channel (Dense outputs): batch statistics of one sample do not
    exist, and torch would fail mid-epoch. ``example`` is one or more input samples.

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import BatchNormalization, Dense, Input
    >>> net = Sequential([Input(shape=(3,)), Dense(4), BatchNormalization()])
    >>> check_last_batch(net, 33, 32, torch.zeros(1, 3))
    Traceback (most recent call last):
    ...
    glassnet.errors.InvalidArgumentError: With 33 samples and batch_size=32 the last batch holds a single sample, and batch normalization ('batch_normalization') cannot compute statistics from one value per channel. Pick a batch_size that leaves no batch of 1 (e.g. 33 or 16), or drop a sample (x[:-1], y[:-1]).
    """
    if num_samples % batch_size != 1 and batch_size != 1:
        return
    from glassnet.modes import evaluating
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
             or (type(m).__name__ == "BatchNormalization" and getattr(m, "trainable", True))]
    single: list[str] = []

    def hook(module, inputs):
        x = inputs[0] if inputs else None
        features = getattr(module, "running_mean", None)
        if torch.is_tensor(x) and features is not None and x.numel() == features.numel():
            single.append(getattr(module, "name", type(module).__name__))

    handles = [m.register_forward_pre_hook(hook) for m in norms]
    try:
        one = pytree.tree_map(lambda t: t[:1] if torch.is_tensor(t) else t, example)
        with evaluating(model), torch.no_grad():
            model(one)
    finally:
        for handle in handles:
            handle.remove()
    if single:
        suggestion = f"e.g. {num_samples} or {batch_size // 2}" if batch_size > 2 else "e.g. 2 or more"
        raise InvalidArgumentError(
            f"With {num_samples} samples and batch_size={batch_size} the last batch holds a single sample, and "
            f"batch normalization ('{single[0]}') cannot compute statistics from one value per channel. Pick a "
            f"batch_size that leaves no batch of 1 ({suggestion}), or drop a sample (x[:-1], y[:-1]).")
