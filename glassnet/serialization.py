"""Turning layers and models into JSON configs and back, without pickle.

Every :class:`~glassnet.layers.Layer` subclass is registered the moment it is
defined, so ``load_model`` can rebuild it from ``{"class_name", "config"}``.
The registry is keyed by package and name, like Keras' ``'package>Name'``:

- glassnet's own classes under their bare names (``'Dense'``);
- your classes under ``'<module>>Name'`` automatically (``'__main__>Dense'`` never
  replaces glassnet's ``Dense``), or ``'Package>Name'`` with
  ``glassnet.saving.register_keras_serializable(package=...)``.

Registering a *different* class under a key already taken raises; redefining the
same class (a re-run notebook cell: same module and name) replaces it.

>>> from glassnet.layers import Dense
>>> get_class('Dense') is Dense
True
>>> registered_name(Dense)
'Dense'
"""

from __future__ import annotations

from typing import Any

from glassnet.errors import UnknownNameError

_CLASSES: dict[str, type] = {}
_NAMES: dict[type, str] = {}


def _default_key(cls: type) -> str:
    if cls.__module__ == "glassnet" or cls.__module__.startswith("glassnet."):
        return cls.__name__
    return f"{cls.__module__}>{cls.__qualname__}"


def register(cls: type, package: str | None = None, name: str | None = None) -> type:
    """Make ``cls`` loadable by name (done automatically for Layer subclasses).

    >>> class Foo: pass
    >>> register(Foo, package='Demo') is Foo
    True
    >>> registered_name(Foo)
    'Demo>Foo'
    """
    key = f"{package}>{name or cls.__name__}" if package else (name or _default_key(cls))
    existing = _CLASSES.get(key)
    if existing is not None and existing is not cls and not _same_definition(existing, cls):
        raise ValueError(
            f"Two classes want the serialization name '{key}': {existing.__module__}.{existing.__qualname__} "
            f"and {cls.__module__}.{cls.__qualname__}. Rename one, or register yours under its own package: "
            f"@glassnet.saving.register_keras_serializable(package='MyProject').")
    old = _NAMES.get(cls)
    if old is not None and old != key and _CLASSES.get(old) is cls:
        del _CLASSES[old]  # re-registered under an explicit package: the automatic key goes
    _CLASSES[key] = cls
    _NAMES[cls] = key
    return cls


def add_alias(name: str, obj: Any) -> None:
    """Also find ``obj`` under ``name`` when loading (Keras' custom objects); the name it is saved
    under does not change. A name already taken by something else raises.

    >>> class Baz: pass
    >>> add_alias('OldBaz', Baz); get_class('OldBaz') is Baz, registered_name(Baz)
    (True, 'Baz')
    """
    existing = _CLASSES.get(name)
    if existing is not None and existing is not obj and not _same_definition(existing, obj):
        raise ValueError(f"The name '{name}' already loads {existing.__module__}.{existing.__qualname__}; "
                         f"choose another name for {getattr(obj, '__qualname__', obj)!r}.")
    _CLASSES[name] = obj


def _same_definition(a: type, b: type) -> bool:
    return a.__module__ == b.__module__ and a.__qualname__ == b.__qualname__


def registered_name(cls: type) -> str:
    """The name ``cls`` is saved under (its class name if it was never registered).

    >>> class Bar: pass
    >>> registered_name(Bar)
    'Bar'
    """
    return _NAMES.get(cls, cls.__name__)


def get_class(name: str, custom_objects: dict[str, Any] | None = None) -> type:
    """The class saved as ``name``: ``custom_objects`` first (by full or bare name), then the registry.

    A bare name that is no glassnet class matches a registered class of yours with that name,
    if exactly one has it.

    >>> get_class('Nope')
    Traceback (most recent call last):
    glassnet.errors.UnknownNameError: Unknown layer or model class 'Nope' in the saved config. If it is your own class, import or define it before loading, or pass custom_objects={'Nope': Nope}.
    """
    bare = name.rsplit(">", 1)[-1]
    for key in (name, bare):
        if custom_objects and key in custom_objects:
            return custom_objects[key]
    if name in _CLASSES:
        return _CLASSES[name]
    candidates = [cls for key, cls in _CLASSES.items() if ">" in key and key.rsplit(">", 1)[-1] == bare]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        raise UnknownNameError(
            f"The saved config names class '{name}', and {len(candidates)} registered classes have that name "
            f"({', '.join(registered_name(c) for c in candidates)}). Pass custom_objects={{'{bare}': ...}} "
            "to choose one.")
    raise UnknownNameError(
        f"Unknown layer or model class '{bare}' in the saved config. If it is your own class, "
        f"import or define it before loading, or pass custom_objects={{'{bare}': {bare}}}.")


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
        return {"class_name": registered_name(type(value)), "config": value.get_config()}
    if hasattr(value, "dtype") and hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "get_config") and not isinstance(value, type):  # regularizers, constraints, ...
        return {"class_name": registered_name(type(value)), "config": to_json_value(value.get_config())}
    if callable(value):
        return activations.serialize(value)
    raise TypeError(f"Cannot save {value!r} ({type(value).__name__}) in a model config.")
