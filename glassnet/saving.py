"""``keras.saving``: save and load whole models, and make your own classes loadable by name.

>>> import glassnet as keras
>>> @register_keras_serializable(package='Doc')
... class Twice(keras.layers.Layer):
...     def call(self, x):
...         return 2 * x
>>> get_registered_name(Twice), get_registered_object('Doc>Twice') is Twice
('Doc>Twice', True)
"""

from __future__ import annotations

from typing import Any, Callable

from glassnet import serialization
from glassnet.errors import UnknownNameError
from glassnet.models.saving import load_model, save_model


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[type], type]:
    """Class decorator: save and load the class as ``'package>name'`` (Keras' decorator).

    Layers, models, regularizers and constraints you define register automatically under their
    module's name; the decorator gives them a stable name that survives moving the code.
    """
    def decorate(cls: type) -> type:
        return serialization.register(cls, package=package, name=name)
    return decorate


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` (a class or an instance) is saved under."""
    return serialization.registered_name(obj if isinstance(obj, type) else type(obj))


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None,
                          module_objects: dict[str, Any] | None = None) -> Any:
    """The class registered as ``name`` (``custom_objects`` first), or None if there is none.

    >>> get_registered_object('NoSuchThing') is None
    True
    """
    for table in (custom_objects, module_objects):
        if table and name in table:
            return table[name]
    try:
        return serialization.get_class(name)
    except UnknownNameError:
        return None


def serialize_keras_object(obj: Any) -> Any:
    """``{'class_name', 'config'}`` for a layer, model, regularizer, constraint, initializer...;
    plain values pass through.

    >>> from glassnet.regularizers import L2
    >>> serialize_keras_object(L2(0.5))
    {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    return serialization.to_json_value(obj)


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Rebuild what :func:`serialize_keras_object` returned (plain values pass through).

    >>> type(deserialize_keras_object({'class_name': 'L2', 'config': {'l2': 0.5}})).__name__
    'L2'
    """
    if not isinstance(config, dict) or "class_name" not in config:
        return config
    cls = serialization.get_class(config["class_name"], custom_objects)
    return cls.from_config(config.get("config", {}))


__all__ = ["register_keras_serializable", "save_model", "load_model", "get_registered_name",
           "get_registered_object", "serialize_keras_object", "deserialize_keras_object"]
