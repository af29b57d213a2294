"""``Variable``: a ``torch.nn.Parameter`` with Keras' variable methods.

Layer weights made by ``add_weight`` and metric state made by ``add_variable``
are Variables: real Parameters (optimizers, ``state_dict`` and ``torch.compile``
see an ordinary parameter; arithmetic gives plain tensors), plus the names Keras
code uses — ``v.value``, ``v.assign(x)``, ``v.assign_add(x)``, ``v.assign_sub(x)``
and ``v.numpy()``.

>>> v = Variable(initializer='zeros', shape=(2,), trainable=False)
>>> v.assign_add(torch.ones(2)).tolist()
[1.0, 1.0]
>>> v.value.tolist(), v.trainable
([1.0, 1.0], False)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


class Variable(nn.Parameter):
    """A weight tensor with Keras' ``value`` / ``assign`` methods (see the module docstring).

    ``initializer`` is a tensor/array (its value is copied) or an initializer (a name,
    an :class:`~glassnet.initializers.Initializer`, a callable ``(shape, dtype)``) used
    with ``shape``. Assigning never records gradients.

    >>> Variable(np.ones((2, 3))).shape
    torch.Size([2, 3])
    """

    def __new__(cls, initializer: Any = None, shape: Any = None, dtype: Any = None, trainable: bool = True,
                name: str | None = None):
        data = _initial_value(initializer, shape, dtype)
        return torch.Tensor._make_subclass(cls, data, bool(trainable) and data.is_floating_point())

    def __init__(self, initializer: Any = None, shape: Any = None, dtype: Any = None, trainable: bool = True,
                 name: str | None = None):
        super().__init__()
        if name is not None:
            self.path = name  # Keras' variable path, e.g. 'dense/kernel'

    @staticmethod
    def wrap(tensor: torch.Tensor) -> "Variable":
        """``tensor`` as a Variable sharing its memory (no copy).

        >>> t = torch.zeros(2); v = Variable.wrap(t); _ = v.assign_add(1.0); t.tolist()
        [1.0, 1.0]
        """
        return torch.Tensor._make_subclass(Variable, tensor.detach(), tensor.requires_grad)

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = Variable(self.data.clone(memory_format=torch.preserve_format),
                                      trainable=self.requires_grad)
        return memo[id(self)]

    def __repr__(self) -> str:
        return "Variable containing:\n" + torch.Tensor.__repr__(self)

    @property
    def value(self) -> torch.Tensor:
        """The current value as a tensor (Keras' ``variable.value``): the variable itself."""
        return self

    @property
    def trainable(self) -> bool:
        """Whether training updates it (``requires_grad``)."""
        return self.requires_grad

    def assign(self, value: Any) -> "Variable":
        """Overwrite the value in place (no gradient recorded); returns the variable."""
        with torch.no_grad():
            self.copy_(torch.as_tensor(np.asarray(value) if not torch.is_tensor(value) else value))
        return self

    def assign_add(self, delta: Any) -> "Variable":
        """``v += delta`` in place (no gradient recorded)."""
        with torch.no_grad():
            self.add_(torch.as_tensor(delta, device=self.device))
        return self

    def assign_sub(self, delta: Any) -> "Variable":
        """``v -= delta`` in place (no gradient recorded)."""
        with torch.no_grad():
            self.sub_(torch.as_tensor(delta, device=self.device))
        return self

    def numpy(self) -> np.ndarray:
        """A numpy copy of the value (detached, on the host)."""
        return self.detach().cpu().numpy()


def _initial_value(initializer: Any, shape: Any, dtype: Any) -> torch.Tensor:
    """The starting tensor of a variable from a value or an initializer plus a shape."""
    from glassnet import initializers
    from glassnet.layers.core import as_torch_dtype

    torch_dtype = as_torch_dtype(dtype) if dtype is not None else None
    if initializer is None:
        initializer = "zeros"
    if torch.is_tensor(initializer) or isinstance(initializer, (np.ndarray, list, float, int)):
        data = torch.as_tensor(np.asarray(initializer) if not torch.is_tensor(initializer) else initializer)
        data = data.detach().clone()
        if data.is_floating_point() and torch_dtype is None:
            torch_dtype = torch.float32
        return data.to(torch_dtype) if torch_dtype is not None else data
    if shape is None:
        raise ValueError("Variable(initializer=...) with an initializer needs shape=; pass shape=(...) or "
                         "an initial value (an array or tensor).")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return initializers.get(initializer)(shape, dtype=torch_dtype or torch.float32).detach()


__all__ = ["Variable"]
