"""glassnet.optimizers: Keras-named optimizers on torch.optim.

>>> type(get('sgd')).__name__
'SGD'
>>> get('adam').learning_rate
0.001
"""

from __future__ import annotations

from typing import Any

from glassnet.naming import lookup
from glassnet.optimizers import schedules
from glassnet.optimizers.adaptive import Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop
from glassnet.optimizers.base import SGD, Optimizer

ALL: dict[str, type[Optimizer]] = {
    "sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW,
    "adagrad": Adagrad, "adadelta": Adadelta, "nadam": Nadam,
}


def get(identifier: str | dict[str, Any] | Optimizer | type[Optimizer]) -> Optimizer:
    """An optimizer from its name (with Keras defaults), its saved config, its class, or the object itself.

    >>> get('RMSprop').rho
    0.9
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return lookup("optimizer", identifier, ALL)()


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """``{'class_name', 'config'}`` for saving.

    >>> serialize(SGD(learning_rate=0.1))['config']['learning_rate']
    0.1
    """
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any]) -> Optimizer:
    """The optimizer :func:`serialize` described.

    >>> deserialize(serialize(Adam(beta_1=0.8))).beta_1
    0.8
    """
    return lookup("optimizer", config["class_name"], ALL).from_config(config["config"])


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Nadam",
           "get", "serialize", "deserialize", "schedules", "ALL"]
