"""Core of ``keras.ops``: dtypes, conversion between numpy and torch, where new tensors go,
and Python control flow (``cond``, ``fori_loop``, ``while_loop``).

>>> convert_to_tensor([1.5, 2]).dtype, standardize_dtype('int8')
(torch.float32, torch.int8)
"""

from __future__ import annotations

import builtins
import functools
from typing import Any, Callable, Sequence

import numpy as np
import torch

Axis = int | Sequence[int] | None


# ---------------------------------------------------------------------------- dtypes and conversion
@functools.cache
def default_device() -> torch.device:
    """Where new tensors go: the device ``compile`` picks by default (CUDA, then MPS, then the CPU).

    >>> default_device().type in ('cuda', 'mps', 'cpu')
    True
    """
    from glassnet.config import default_device as fastest
    return fastest()


def standardize_dtype(dtype: Any) -> torch.dtype | None:
    """A torch dtype from a Keras name ('float32'), a numpy dtype or a torch dtype (None stays None).

    >>> standardize_dtype('int8'), standardize_dtype(np.float64)
    (torch.int8, torch.float64)
    """
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    name = {"float": "float32", "int": "int64", "bool_": "bool"}.get(name, name)
    found = getattr(torch, name, None)
    if not isinstance(found, torch.dtype):
        raise ValueError(f"Unknown dtype {dtype!r}. Use a name such as 'float32', 'int64', 'bool', 'uint8'.")
    return found


def dtype_name(x: Any) -> str:
    """A tensor's dtype as Keras names it ('float32').

    >>> dtype_name(torch.ones(1))
    'float32'
    """
    return str(convert_to_tensor(x).dtype).replace("torch.", "")


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None) -> torch.Tensor:
    """A tensor from a tensor, numpy array, list or number (tensors are returned as they are).

    numpy arrays keep their dtype; Python floats become float32.

    >>> convert_to_tensor([1.5, 2]).dtype, convert_to_tensor(np.zeros(2, np.float64)).dtype
    (torch.float32, torch.float64)
    """
    target = standardize_dtype(dtype)
    if torch.is_tensor(x):
        return x if target is None or x.dtype == target else x.to(target)
    if isinstance(x, (np.ndarray, np.generic)):
        array = np.ascontiguousarray(x)  # torch takes no negative strides (x[::-1])
        tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
    elif isinstance(x, (list, tuple)) and builtins.any(torch.is_tensor(v) for v in x):
        tensor = torch.stack([convert_to_tensor(v) for v in x])
    else:
        tensor = torch.as_tensor(x)
        if tensor.dtype == torch.float64:
            tensor = tensor.float()
    return tensor.to(device=default_device(), dtype=target)


def convert_to_numpy(x: Any) -> np.ndarray:
    """A numpy array (detached, copied to the host).

    >>> convert_to_numpy(torch.ones(2))
    array([1., 1.], dtype=float32)
    """
    if torch.is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """True for torch tensors (Keras' backend-native tensors).

    >>> is_tensor(torch.ones(1)), is_tensor(np.ones(1))
    (True, False)
    """
    return torch.is_tensor(x)


def cast(x: Any, dtype: Any) -> torch.Tensor:
    """``x`` converted to ``dtype``.

    >>> cast([1.7, -1.7], 'int32').tolist()
    [1, -1]
    """
    return convert_to_tensor(x).to(standardize_dtype(dtype))


def shape(x: Any) -> tuple[int, ...]:
    """The shape as a tuple of ints.

    >>> shape(torch.zeros(2, 3))
    (2, 3)
    """
    return tuple(convert_to_tensor(x).shape)


def ndim(x: Any) -> int:
    """Number of axes.

    >>> ndim(torch.zeros(2, 3))
    2
    """
    return convert_to_tensor(x).dim()


def size(x: Any) -> int:
    """Number of elements.

    >>> size(torch.zeros(2, 3))
    6
    """
    return convert_to_tensor(x).numel()


def _pair(a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Two operands as tensors of their common dtype, on the tensor operand's device."""
    device = a.device if torch.is_tensor(a) else b.device if torch.is_tensor(b) else None
    a_t = a if torch.is_tensor(a) else convert_to_tensor(a)
    b_t = b if torch.is_tensor(b) else convert_to_tensor(b)
    common = torch.result_type(a if torch.is_tensor(a) or isinstance(a, (int, float, bool)) else a_t,
                               b if torch.is_tensor(b) or isinstance(b, (int, float, bool)) else b_t)
    return a_t.to(device=device, dtype=common), b_t.to(device=device, dtype=common)


def _dims(axis: Axis, x: torch.Tensor) -> tuple[int, ...] | None:
    if axis is None:
        return None
    return (axis,) if isinstance(axis, int) else tuple(axis)


def stop_gradient(x: Any) -> torch.Tensor:
    """The value without gradient flow (``detach``).

    >>> stop_gradient(torch.ones(1, requires_grad=True)).requires_grad
    False
    """
    return convert_to_tensor(x).detach()


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """Run ``true_fn()`` or ``false_fn()`` depending on ``pred`` (plain Python control flow).

    >>> cond(True, lambda: 1, lambda: 2)
    1
    """
    return true_fn() if bool(pred) else false_fn()


def fori_loop(lower: int, upper: int, body_fun: Callable[[int, Any], Any], init_val: Any) -> Any:
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    >>> fori_loop(0, 4, lambda i, v: v + i, 0)
    6
    """
    value = init_val
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def while_loop(cond_fn: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None) -> Any:
    """``while cond_fn(*vars): vars = body(*vars)`` (tuples unpacked, as Keras does).

    >>> while_loop(lambda i: i < 3, lambda i: (i + 1,), (0,))
    (3,)
    """
    is_tuple = isinstance(loop_vars, (list, tuple))
    values = tuple(loop_vars) if is_tuple else (loop_vars,)
    count = 0
    while bool(cond_fn(*values)) and (maximum_iterations is None or count < maximum_iterations):
        result = body(*values)
        values = tuple(result) if isinstance(result, (list, tuple)) else (result,)
        count += 1
    return values if is_tuple else values[0]


def _shape_arg(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == __name__]
