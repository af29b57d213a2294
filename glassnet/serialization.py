"""Turning layers and models into JSON configs and back, without pickle.

Every :class:`~glassnet.layers.Layer` subclass is registered by class name the
moment it is defined, so ``load_model`` can rebuild it from ``{"class_name",
"config"}``. Users' own classes register the same way (define them before
loading), or via ``custom_objects``.

>>> from glassnet.layers import Dense
>>> get_class('Dense') is Dense
True
"""

from __future__ import annotations

from typing import Any

from glassnet.errors import UnknownNameError

_CLASSES: dict[str, type] = {}


def register(cls: type, name: str | None = None) -> type:
    """Make ``cls`` loadable by name (done automatically for Layer subclasses).

    >>> class Foo: pass
    >>> register(Foo) is Foo
    True
    """
    _CLASSES[name or cls.__name__] = cls
    return cls


def get_class(name: str, custom_objects: dict[str, Any] | None = None) -> type:
    """The class registered under ``name`` (``custom_objects`` first)."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name not in _CLASSES:
        raise UnknownNameError(
            f"Unknown layer or model class '{name}' in the saved config. If it is your own class, "
            f"import or define it before loading, or pass custom_objects={{'{name}': {name}}}.")
    return _CLASSES[name]


def to_json_value(value: Any) -> Any:
    """A layer argument as JSON: numbers, strings, lists, dicts; initializers and
    activations by name. Anything else raises a TypeError naming it.

    >>> to_json_value((3, 3))
    [3, 3]
    """
    from glassnet import activations, initializers
    from glassnet.layers.base import Layer

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, initializers.Initializer):
        return initializers.serialize(value)
    if isinstance(value, Layer):
        return {"class_name": type(value).__name__, "config": value.get_config()}
    if hasattr(value, "dtype") and hasattr(value, "tolist"):
        return value.tolist()
    if callable(value):
        return activations.serialize(value)
    raise TypeError(f"Cannot save {value!r} ({type(value).__name__}) in a model config.")
