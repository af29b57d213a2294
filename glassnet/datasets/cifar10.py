"""CIFAR-10, Keras-style: ``glassnet.datasets.cifar10.load_data()`` (see :mod:`glassnet.datasets.cifar`).

>>> class_names[:3]
['airplane', 'automobile', 'bird']
"""

from __future__ import annotations

from glassnet.datasets.cifar import CIFAR10_CLASSES as class_names
from glassnet.datasets.cifar import load_data

__all__ = ["load_data", "class_names"]
