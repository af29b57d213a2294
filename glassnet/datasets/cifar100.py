"""CIFAR-100, Keras-style: ``glassnet.datasets.cifar100.load_data(label_mode='fine')`` (see :mod:`glassnet.datasets.cifar`).

Labels are uint8 of shape (N, 1), as in Keras.

>>> len(class_names), len(coarse_class_names)
(100, 20)
"""

from __future__ import annotations

import os

from glassnet.datasets import cifar
from glassnet.datasets.cifar import CIFAR100_CLASSES as class_names
from glassnet.datasets.cifar import CIFAR100_COARSE_CLASSES as coarse_class_names
from glassnet.datasets.cifar10 import column_labels


def load_data(label_mode: str = "fine", data_dir: str | os.PathLike | None = None,
              download: bool = True) -> cifar.Arrays:
    """``(x_train, y_train), (x_test, y_test)``: uint8 (N, 32, 32, 3) images, uint8 (N, 1) labels
    (0-99 with ``label_mode='fine'``, 0-19 with ``'coarse'``)."""
    return column_labels(cifar.load_data_100(label_mode, data_dir=data_dir, download=download))


__all__ = ["load_data", "class_names", "coarse_class_names"]
