"""glassnet: the Keras programming model on PyTorch, with glass-box tools.

``import glassnet as keras`` works like ``import keras``: every Keras namespace
(``keras.layers``, ``keras.optimizers``, ``keras.ops``, ...) and the common
top-level names (``keras.Input``, ``keras.Model``, ...) are attributes. They are
imported on first use (PEP 562), so ``import glassnet`` stays fast and the
result does not depend on what was imported before.

>>> import glassnet as keras
>>> keras.__version__
'0.1.0'
>>> keras.optimizers.Adam().learning_rate
0.001
>>> keras.ops.mean(keras.ops.ones((2, 2))).item()
1.0
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

from glassnet.allocator import tune_malloc  # noqa: E402

tune_malloc()  # see glassnet/allocator.py; opt out with GLASSNET_MALLOC_TUNING=0

from glassnet.porting import install as _install_tensorflow_hint  # noqa: E402

_install_tensorflow_hint()  # `import tensorflow` without TensorFlow says what to use instead (glassnet/porting.py)

#: Keras' namespaces, imported on first attribute access
_SUBMODULES = ("activations", "applications", "backend", "callbacks", "config", "constraints", "datasets",
               "initializers", "layers", "losses", "metrics", "models", "ops", "optimizers", "random",
               "regularizers", "saving", "utils")

#: top-level names -> the module that defines them
_NAMES = {
    "Input": "glassnet.layers", "InputLayer": "glassnet.layers", "Layer": "glassnet.layers",
    "Model": "glassnet.models", "Sequential": "glassnet.models", "load_model": "glassnet.models",
    "fit": "glassnet.training.plain", "Variable": "glassnet.variables", "KerasTensor": "glassnet.symbolic",
    "Loss": "glassnet.losses", "Metric": "glassnet.metrics", "Optimizer": "glassnet.optimizers",
    "Regularizer": "glassnet.regularizers", "Constraint": "glassnet.constraints",
    "Initializer": "glassnet.initializers",
}
_ALIASES = {"KerasTensor": "SymbolicTensor"}


def __getattr__(name: str) -> Any:
    """Import a Keras namespace or top-level name the first time it is used (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"glassnet.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), _ALIASES.get(name, name))
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'glassnet' has no attribute '{name}'. Keras namespaces available: "
                         f"{', '.join(_SUBMODULES)}; top-level names: {', '.join(sorted(_NAMES))}.")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_NAMES})


__all__ = ["__version__", *_SUBMODULES, *_NAMES]
