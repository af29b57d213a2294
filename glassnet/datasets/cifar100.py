"""CIFAR-100, Keras-style: ``glassnet.datasets.cifar100.load_data(label_mode='fine')`` (see :mod:`glassnet.datasets.cifar`).

>>> len(class_names), len(coarse_class_names)
(100, 20)
"""

from __future__ import annotations

from glassnet.datasets.cifar import CIFAR100_CLASSES as class_names
from glassnet.datasets.cifar import CIFAR100_COARSE_CLASSES as coarse_class_names
from glassnet.datasets.cifar import load_data_100 as load_data

__all__ = ["load_data", "class_names", "coarse_class_names"]
