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

import contextlib
from typing import Any, Callable, Iterator

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


class _CustomObjects(dict):
    """The dict :func:`get_custom_objects` returns: every entry written to it is registered for loading."""

    def __setitem__(self, name: str, obj: Any) -> None:
        serialization.add_alias(name, obj)  # found under this name too; saved under its own
        super().__setitem__(name, obj)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for name, obj in dict(*args, **kwargs).items():
            self[name] = obj


_CUSTOM_OBJECTS = _CustomObjects()


def get_custom_objects() -> dict[str, Any]:
    """Keras' global custom-objects dict: ``get_custom_objects()['MyLayer'] = MyLayer`` makes saved
    configs naming ``'MyLayer'`` load.

    >>> from glassnet.layers import Layer
    >>> class Quarter(Layer):
    ...     def call(self, x):
    ...         return x / 2
    >>> get_custom_objects()['Quarter'] = Quarter
    >>> get_registered_object('Quarter') is Quarter
    True
    """
    return _CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*custom_objects: dict[str, Any]) -> Iterator[None]:
    """``with custom_object_scope({'MyLayer': MyLayer}): load_model(...)``. glassnet registers the
    objects for good (they stay loadable after the block), which is what the block is used for."""
    for mapping in custom_objects:
        _CUSTOM_OBJECTS.update(mapping or {})
    yield


CustomObjectScope = custom_object_scope


def serialize_keras_object(obj: Any) -> Any:
    """``{'class_name', 'config'}`` for a layer, model, regularizer, constraint, initializer...;
    plain values pass through.

    >>> from glassnet.regularizers import L2
    >>> serialize_keras_object(L2(0.5))
    {'class_name': 'L2', 'config': {'l2': 0.5}}
    """
    if hasattr(obj, "get_config") and not isinstance(obj, type):  # nested objects in your get_config too
        return {"class_name": get_registered_name(obj), "config": serialization.to_json_value(obj.get_config())}
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
           "get_registered_object", "serialize_keras_object", "deserialize_keras_object", "get_custom_objects",
           "custom_object_scope", "CustomObjectScope"]
