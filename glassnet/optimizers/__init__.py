"""glassnet.optimizers: Keras-named optimizers on torch.optim.

>>> type(get('sgd')).__name__
'SGD'
"""

from __future__ import annotations

from glassnet.naming import lookup
from glassnet.optimizers.base import SGD, Optimizer

ALL: dict[str, type[Optimizer]] = {"sgd": SGD}


def get(identifier) -> Optimizer:
    """An optimizer from its name (with Keras defaults) or the object itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return lookup("optimizer", identifier["class_name"], ALL).from_config(identifier["config"])
    return lookup("optimizer", identifier, ALL)()


def serialize(optimizer: Optimizer) -> dict:
    """``{'class_name', 'config'}`` for saving."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


__all__ = ["Optimizer", "SGD", "get", "serialize", "ALL"]
