"""CIFAR-10, Keras-style: ``glassnet.datasets.cifar10.load_data()`` (see :mod:`glassnet.datasets.cifar`).

As in Keras, labels are uint8 of shape (N, 1) (MNIST's stay (N,)); sparse
crossentropy, the accuracies and ``to_categorical`` take them as they are, and
``y.ravel()`` gives the flat vector when you need one.

>>> class_names[:3]
['airplane', 'automobile', 'bird']
>>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
>>> y_train.shape, y_train.dtype  # doctest: +SKIP
((50000, 1), dtype('uint8'))
"""

from __future__ import annotations

import os

from glassnet.datasets import cifar
from glassnet.datasets.cifar import CIFAR10_CLASSES as class_names


def load_data(data_dir: str | os.PathLike | None = None, download: bool = True) -> cifar.Arrays:
    """``(x_train, y_train), (x_test, y_test)``: uint8 (N, 32, 32, 3) images, uint8 (N, 1) labels 0-9."""
    return column_labels(cifar.load_data(data_dir=data_dir, download=download))


def column_labels(arrays: cifar.Arrays) -> cifar.Arrays:
    """Labels as Keras gives CIFAR's: a (N, 1) column.

    >>> import numpy as np
    >>> _, (_, y) = column_labels(((None, np.zeros(2)), (None, np.arange(3))))
    >>> y.shape
    (3, 1)
    """
    (x_train, y_train), (x_test, y_test) = arrays
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))


__all__ = ["load_data", "class_names"]
