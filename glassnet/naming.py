"""Name lookup with helpful errors, shared by every ``get(name)`` in glassnet.

>>> lookup("optimizer", "adam", {"adam": 1, "sgd": 2})
1
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import defaultdict
from typing import Mapping, TypeVar

from glassnet.errors import UnknownNameError

T = TypeVar("T")


def canonical(name: str) -> str:
    """Lower-case a name and drop ``_``/``-``, so 'he_normal', 'HeNormal' and 'he-normal' match.

    >>> canonical("He_Normal")
    'henormal'
    """
    return re.sub(r"[_\-\s]", "", name.lower())


def lookup(kind: str, name: str, table: Mapping[str, T]) -> T:
    """Return ``table[name]`` (case and underscore insensitive) or raise a clear error.

    The error lists the valid names and suggests the closest one.

    >>> lookup("loss", "MSE", {"mse": "ok"})
    'ok'
    """
    if not isinstance(name, str):
        raise UnknownNameError(f"A {kind} must be given by name or as an object, not {type(name).__name__}.")
    by_canonical = {canonical(k): v for k, v in table.items()}
    key = canonical(name)
    if key in by_canonical:
        return by_canonical[key]
    valid = sorted(table)
    close = difflib.get_close_matches(name.lower(), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise UnknownNameError(f"Unknown {kind} '{name}'.{hint} Valid names: {', '.join(valid)}.")


_counters: dict[str, itertools.count] = defaultdict(itertools.count)


def snake_case(class_name: str) -> str:
    """'Conv2D' -> 'conv2d', 'BatchNormalization' -> 'batch_normalization'.

    >>> snake_case("GlobalAveragePooling2D")
    'global_average_pooling2d'
    """
    s = re.sub(r"(?<=[a-z0-9])([A-Z])(?=[a-z])", r"_\1", class_name)
    s = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", s)
    return s.lower()


def unique_name(base: str) -> str:
    """Keras-style automatic names: 'dense', then 'dense_1', 'dense_2'...

    >>> n = unique_name("doctest_layer"); m = unique_name("doctest_layer"); (n, m)
    ('doctest_layer', 'doctest_layer_1')
    """
    index = next(_counters[base])
    return base if index == 0 else f"{base}_{index}"


def reset_names() -> None:
    """Restart automatic layer names from scratch (Keras' ``clear_session``)."""
    _counters.clear()
