"""Checks made once before training, so day-one mistakes get a clear message.

Labels out of range, one-hot labels given to a sparse loss (and the reverse),
and targets outside [0, 1] for binary crossentropy are caught here, with a
sentence on how to fix them.
"""

from __future__ import annotations

import torch

from glassnet import losses
from glassnet.errors import LabelError


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
