"""glassnet.utils: small helpers from the course (Keras' ``keras.utils``).

>>> to_categorical([0, 2], 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import random

import numpy as np
import torch

from glassnet.datasets.directory import image_dataset_from_directory  # Keras 3 has it in keras.utils too
from glassnet.errors import LabelError
from glassnet.utils.images import array_to_img, img_to_array, load_img, save_img
from glassnet.utils.plot_model import model_to_dot, plot_model
from glassnet.utils.sequences import pad_sequences
from glassnet.utils.timeseries import timeseries_dataset_from_array, timeseries_windows
from glassnet.utils.text import one_hot_words
from glassnet.datasets.text import text_dataset_from_directory


def to_categorical(y, num_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """One-hot encode integer class labels: label k becomes a row with a 1 in column k.

    >>> to_categorical(np.array([1, 0]), 2)
    array([[0., 1.],
           [1., 0.]], dtype=float32)
    """
    labels = np.asarray(y.cpu() if torch.is_tensor(y) else y)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and (labels.min() < 0 or not np.all(np.equal(np.mod(labels, 1), 0))):
        raise LabelError("to_categorical needs non-negative integer labels (0, 1, 2, ...).")
    labels = labels.astype(np.int64)
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise LabelError(f"Label {labels.max()} does not fit num_classes={num_classes} (labels 0..{num_classes - 1}).")
    return np.eye(num_classes, dtype=dtype)[labels]


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale each vector along ``axis`` to unit ``order``-norm (zero vectors stay zero).

    >>> normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]], dtype=float32)
    """
    array = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(array, ord=order, axis=axis, keepdims=True)
    return array / np.where(norm == 0, 1, norm)


def set_random_seed(seed: int) -> None:
    """Seed Python, numpy and torch at once, for reproducible runs (Keras' helper).

    >>> set_random_seed(0)
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


__all__ = ["to_categorical", "normalize", "set_random_seed", "plot_model", "model_to_dot", "pad_sequences",
           "load_img", "img_to_array", "array_to_img", "save_img", "image_dataset_from_directory",
           "timeseries_dataset_from_array", "timeseries_windows", "text_dataset_from_directory", "one_hot_words"]
