"""``keras.ops`` on PyTorch: the numpy-like op names custom layers, losses and training steps use.

Every function takes tensors, numpy arrays or Python numbers and returns a
``torch.Tensor`` (``convert_to_numpy`` and ``shape`` excepted). Semantics follow
Keras (which follows numpy): ``axis=None`` reduces over everything, ``keepdims``
keeps reduced axes with size 1, ``std``/``var`` are population statistics,
``transpose(x)`` reverses the axes. Dtypes are named by strings (``'float32'``)
or torch dtypes. New tensors (from numbers, lists, numpy arrays, ``zeros``, ...) go
on the device models train on by default (:func:`glassnet.config.default_device`:
CUDA or MPS when present), as Keras' torch backend does, so ops inside ``call``
mix with the layer's inputs; Python floats become float32, Python ints int64
(torch's index type; Keras uses int32). Activations
and losses live in :data:`nn` too (``ops.nn.softmax``), random draws in
:mod:`glassnet.random` (also ``ops.random``).

>>> from glassnet import ops
>>> x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
>>> ops.mean(x).item(), ops.sum(x, axis=0).tolist(), ops.max(x, axis=1, keepdims=True).shape
(2.5, [4.0, 6.0], torch.Size([2, 1]))
>>> ops.one_hot(ops.convert_to_tensor([0, 2]), 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import builtins
import functools
import types
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from glassnet import random  # noqa: F401  (ops.random, as in Keras examples)

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

    >>> dtype_name(ones((1,)))
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

    >>> convert_to_numpy(ones((2,)))
    array([1., 1.], dtype=float32)
    """
    if torch.is_tensor(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """True for torch tensors (Keras' backend-native tensors).

    >>> is_tensor(ones(1)), is_tensor(np.ones(1))
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

    >>> shape(zeros((2, 3)))
    (2, 3)
    """
    return tuple(convert_to_tensor(x).shape)


def ndim(x: Any) -> int:
    """Number of axes.

    >>> ndim(zeros((2, 3)))
    2
    """
    return convert_to_tensor(x).dim()


def size(x: Any) -> int:
    """Number of elements.

    >>> size(zeros((2, 3)))
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

    >>> stop_gradient(ones(1, dtype='float32')).requires_grad
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


# ---------------------------------------------------------------------------- creation
def zeros(shape: Any, dtype: Any = "float32") -> torch.Tensor:
    """A tensor of zeros.

    >>> zeros((2,)).tolist()
    [0.0, 0.0]
    """
    return torch.zeros(_shape_arg(shape), dtype=standardize_dtype(dtype), device=default_device())


def ones(shape: Any, dtype: Any = "float32") -> torch.Tensor:
    """A tensor of ones.

    >>> ones(2, dtype='int32').tolist()
    [1, 1]
    """
    return torch.ones(_shape_arg(shape), dtype=standardize_dtype(dtype), device=default_device())


def full(shape: Any, fill_value: Any, dtype: Any = None) -> torch.Tensor:
    """A tensor filled with ``fill_value``.

    >>> full((2,), 7.0).tolist()
    [7.0, 7.0]
    """
    fill = convert_to_tensor(fill_value, dtype)
    return fill.expand(_shape_arg(shape)).clone()


def _shape_arg(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def zeros_like(x: Any, dtype: Any = None) -> torch.Tensor:
    """Zeros of ``x``'s shape (and dtype unless given).

    >>> zeros_like(ones((2,))).tolist()
    [0.0, 0.0]
    """
    return torch.zeros_like(convert_to_tensor(x), dtype=standardize_dtype(dtype))


def ones_like(x: Any, dtype: Any = None) -> torch.Tensor:
    """Ones of ``x``'s shape.

    >>> ones_like(zeros((1,))).tolist()
    [1.0]
    """
    return torch.ones_like(convert_to_tensor(x), dtype=standardize_dtype(dtype))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> torch.Tensor:
    """``fill_value`` in ``x``'s shape.

    >>> full_like(zeros((2,)), 3).tolist()
    [3.0, 3.0]
    """
    return torch.full_like(convert_to_tensor(x), fill_value, dtype=standardize_dtype(dtype))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> torch.Tensor:
    """Evenly spaced values in [start, stop), numpy's ``arange``.

    >>> arange(3).tolist(), arange(1, 2, 0.5).tolist()
    ([0, 1, 2], [1.0, 1.5])
    """
    if stop is None:
        start, stop = 0, start
    out = torch.arange(start, stop, step, device=default_device())
    if out.dtype == torch.float64:
        out = out.float()
    return out if dtype is None else out.to(standardize_dtype(dtype))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None) -> torch.Tensor:
    """``num`` evenly spaced values from start to stop.

    >>> linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    if endpoint:
        out = torch.linspace(float(start), float(stop), int(num), device=default_device())
    else:
        out = torch.linspace(float(start), float(stop), int(num) + 1, device=default_device())[:-1]
    return out if dtype is None else out.to(standardize_dtype(dtype))


def eye(n: int, m: int | None = None, k: int = 0, dtype: Any = "float32") -> torch.Tensor:
    """Identity-like matrix with ones on diagonal ``k``.

    >>> eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    return convert_to_tensor(np.eye(n, m, k), dtype=dtype or "float32")


identity = eye


# ---------------------------------------------------------------------------- shapes
def reshape(x: Any, newshape: Any) -> torch.Tensor:
    """``x`` with a new shape (one entry may be -1).

    >>> reshape(arange(6), (2, -1)).shape
    torch.Size([2, 3])
    """
    return convert_to_tensor(x).reshape(_shape_arg(newshape))


def transpose(x: Any, axes: Sequence[int] | None = None) -> torch.Tensor:
    """Permute the axes; ``axes=None`` reverses them (numpy).

    >>> transpose(zeros((2, 3, 4))).shape
    torch.Size([4, 3, 2])
    """
    t = convert_to_tensor(x)
    return t.permute(*(range(t.dim() - 1, -1, -1) if axes is None else axes))


def expand_dims(x: Any, axis: int | Sequence[int]) -> torch.Tensor:
    """Insert size-1 axes at ``axis`` (one or several).

    >>> expand_dims(zeros((2, 3)), -1).shape, expand_dims(zeros((2,)), (0, 2)).shape
    (torch.Size([2, 3, 1]), torch.Size([1, 2, 1]))
    """
    t = convert_to_tensor(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = t.dim() + len(axes)
    for a in sorted(a % out_ndim for a in axes):
        t = t.unsqueeze(a)
    return t


def squeeze(x: Any, axis: Axis = None) -> torch.Tensor:
    """Remove size-1 axes (all, or those named).

    >>> squeeze(zeros((1, 2, 1))).shape, squeeze(zeros((1, 2, 1)), axis=0).shape
    (torch.Size([2]), torch.Size([2, 1]))
    """
    t = convert_to_tensor(x)
    if axis is None:
        return t.squeeze()
    for a in sorted((a % t.dim() for a in _dims(axis, t)), reverse=True):
        if t.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {tuple(t.shape)} has size {t.shape[a]}, not 1.")
        t = t.squeeze(a)
    return t


def concatenate(xs: Sequence[Any], axis: int = 0) -> torch.Tensor:
    """Join tensors along an existing axis.

    >>> concatenate([zeros((2, 1)), ones((2, 2))], axis=1).shape
    torch.Size([2, 3])
    """
    return torch.cat([convert_to_tensor(x) for x in xs], dim=axis)


def stack(xs: Sequence[Any], axis: int = 0) -> torch.Tensor:
    """Join tensors along a new axis.

    >>> stack([zeros(2), ones(2)], axis=1).shape
    torch.Size([2, 2])
    """
    return torch.stack([convert_to_tensor(x) for x in xs], dim=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[torch.Tensor]:
    """numpy's ``split``: into N equal parts, or at the given indices.

    >>> [p.tolist() for p in split(arange(4), 2)]
    [[0, 1], [2, 3]]
    """
    t = convert_to_tensor(x)
    if isinstance(indices_or_sections, int) and t.shape[axis] % indices_or_sections:
        raise ValueError(f"split: axis {axis} of size {t.shape[axis]} does not divide into "
                         f"{indices_or_sections} equal parts; pass split indices instead.")
    return list(torch.tensor_split(t, indices_or_sections, dim=axis))


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[torch.Tensor]:
    """Split along ``axis`` into tensors without that axis.

    >>> len(unstack(zeros((3, 2))))
    3
    """
    return list(torch.unbind(convert_to_tensor(x), dim=axis))


def tile(x: Any, repeats: Any) -> torch.Tensor:
    """Repeat the whole tensor ``repeats`` times per axis.

    >>> tile(convert_to_tensor([1, 2]), 2).tolist()
    [1, 2, 1, 2]
    """
    return torch.tile(convert_to_tensor(x), (repeats,) if isinstance(repeats, int) else tuple(repeats))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> torch.Tensor:
    """Repeat each element (numpy's ``repeat``; ``axis=None`` flattens first).

    >>> repeat(convert_to_tensor([1, 2]), 2).tolist()
    [1, 1, 2, 2]
    """
    t = convert_to_tensor(x)
    reps = repeats if isinstance(repeats, int) else convert_to_tensor(repeats)
    return torch.repeat_interleave(t.flatten() if axis is None else t, reps, dim=0 if axis is None else axis)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> torch.Tensor:
    """numpy's ``pad``: ``pad_width`` is ((before, after), ...) per axis, or one pair for all.

    >>> pad(ones((1, 2)), ((0, 0), (1, 2))).tolist()
    [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    t = convert_to_tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) else
                             np.full((1, 2), int(pad_width)), (t.dim(), 2))
    flat = [int(v) for before_after in widths[::-1] for v in before_after]
    torch_mode = {"constant": "constant", "reflect": "reflect", "symmetric": None, "edge": "replicate",
                  "wrap": "circular"}.get(mode)
    if torch_mode is None:
        raise ValueError(f"pad: mode '{mode}' is not supported; use 'constant', 'reflect', 'edge' or 'wrap'.")
    if torch_mode == "constant":
        return F.pad(t, flat, value=0 if constant_values is None else constant_values)
    batched = t.reshape(1, 1, *t.shape).float() if t.dim() <= 3 else t
    return F.pad(batched, flat, mode=torch_mode).reshape([s + a + b for s, (a, b) in zip(t.shape, widths)]).to(t.dtype)


def slice(inputs: Any, start_indices: Sequence[int], shape: Sequence[int]) -> torch.Tensor:  # noqa: A001
    """The block of ``shape`` starting at ``start_indices`` (Keras' ``ops.slice``).

    >>> slice(arange(10).reshape(2, 5), (0, 1), (2, 2)).tolist()
    [[1, 2], [6, 7]]
    """
    t = convert_to_tensor(inputs)
    index = tuple(builtins.slice(int(s), int(s) + int(n) if n != -1 else None)
                  for s, n in zip(start_indices, shape))
    return t[index]


def take(x: Any, indices: Any, axis: int | None = None) -> torch.Tensor:
    """numpy's ``take``: elements at ``indices`` along ``axis`` (flattened when None; negative ids wrap).

    >>> take(convert_to_tensor([[1, 2], [3, 4]]), convert_to_tensor([1, 0]), axis=1).tolist()
    [[2, 1], [4, 3]]
    """
    t = convert_to_tensor(x)
    if axis is None:
        t, axis = t.flatten(), 0
    axis = axis % t.dim()
    idx = convert_to_tensor(indices).long().to(t.device)
    idx = torch.where(idx < 0, idx + t.shape[axis], idx)
    picked = t.index_select(axis, idx.flatten())
    return picked.reshape(*t.shape[:axis], *idx.shape, *t.shape[axis + 1:])


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> torch.Tensor:
    """numpy's ``take_along_axis`` (torch's ``gather`` with broadcasting).

    >>> take_along_axis(convert_to_tensor([[1, 2], [3, 4]]), convert_to_tensor([[1], [0]]), 1).tolist()
    [[2], [3]]
    """
    t = convert_to_tensor(x)
    if axis is None:
        t, axis = t.flatten(), 0
    return torch.take_along_dim(t, convert_to_tensor(indices).long().to(t.device), dim=axis)


def flip(x: Any, axis: Axis = None) -> torch.Tensor:
    """Reverse the order along ``axis`` (all axes when None).

    >>> flip(arange(3)).tolist()
    [2, 1, 0]
    """
    t = convert_to_tensor(x)
    return torch.flip(t, dims=_dims(axis, t) or tuple(range(t.dim())))


def roll(x: Any, shift: Any, axis: Axis = None) -> torch.Tensor:
    """Shift elements cyclically (numpy's ``roll``).

    >>> roll(arange(3), 1).tolist()
    [2, 0, 1]
    """
    return torch.roll(convert_to_tensor(x), shift, dims=axis)


# ---------------------------------------------------------------------------- reductions
def _reduce(fn: Callable, x: Any, axis: Axis, keepdims: bool) -> torch.Tensor:
    t = convert_to_tensor(x)
    dims = _dims(axis, t)
    if dims is None:
        out = fn(t.flatten(), 0)
        return out.reshape((1,) * t.dim()) if keepdims else out
    return fn(t, dims, keepdims)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    """Sum over ``axis`` (everything when None).

    >>> sum(ones((2, 3)), axis=1).tolist()
    [3.0, 3.0]
    """
    return _reduce(lambda t, d, k=False: torch.sum(t, dim=d, keepdim=k), x, axis, keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Mean over ``axis`` (integers are averaged as float32).

    >>> mean(convert_to_tensor([1, 2])).item()
    1.5
    """
    t = convert_to_tensor(x)
    t = t if t.is_floating_point() or t.is_complex() else t.float()
    return _reduce(lambda v, d, k=False: torch.mean(v, dim=d, keepdim=k), t, axis, keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Product over ``axis``.

    >>> prod(convert_to_tensor([2.0, 3.0])).item()
    6.0
    """
    t = convert_to_tensor(x)
    dims = _dims(axis, t)
    if dims is None:
        out = torch.prod(t)
        return out.reshape((1,) * t.dim()) if keepdims else out
    for d in sorted((d % t.dim() for d in dims), reverse=True):
        t = torch.prod(t, dim=d, keepdim=keepdims)
    return t


def max(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> torch.Tensor:  # noqa: A001
    """Largest value over ``axis``.

    >>> max(convert_to_tensor([[1, 5], [3, 2]]), axis=0).tolist()
    [3, 5]
    """
    out = _reduce(lambda t, d, k=False: torch.amax(t, dim=d, keepdim=k), x, axis, keepdims)
    return out if initial is None else torch.clamp(out, min=initial)


def min(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> torch.Tensor:  # noqa: A001
    """Smallest value over ``axis``.

    >>> min(convert_to_tensor([[1, 5], [3, 2]]), axis=1).tolist()
    [1, 2]
    """
    out = _reduce(lambda t, d, k=False: torch.amin(t, dim=d, keepdim=k), x, axis, keepdims)
    return out if initial is None else torch.clamp(out, max=initial)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    """True where every element over ``axis`` is non-zero.

    >>> all(convert_to_tensor([True, False])).item()
    False
    """
    return _reduce(lambda t, d, k=False: torch.all(t.bool(), dim=d, keepdim=k), x, axis, keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A001
    """True where some element over ``axis`` is non-zero.

    >>> any(convert_to_tensor([True, False])).item()
    True
    """
    return _reduce(lambda t, d, k=False: torch.any(t.bool(), dim=d, keepdim=k), x, axis, keepdims)


def _arg(fn: Callable, x: Any, axis: int | None, keepdims: bool) -> torch.Tensor:
    t = convert_to_tensor(x)
    if axis is None:
        out = fn(t.flatten(), 0)
        return out.reshape((1,) * t.dim()) if keepdims else out
    return fn(t, axis, keepdim=keepdims)


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the largest value (in the flattened tensor when ``axis`` is None).

    >>> argmax(convert_to_tensor([[1, 5], [7, 2]])).item(), argmax(convert_to_tensor([[1, 5], [7, 2]]), 1).tolist()
    (2, [1, 0])
    """
    return _arg(lambda t, d, keepdim=False: torch.argmax(t, dim=d, keepdim=keepdim), x, axis, keepdims)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> torch.Tensor:
    """Index of the smallest value.

    >>> argmin(convert_to_tensor([3, 1, 2])).item()
    1
    """
    return _arg(lambda t, d, keepdim=False: torch.argmin(t, dim=d, keepdim=keepdim), x, axis, keepdims)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population variance (numpy's default, ``ddof=0``).

    >>> var(convert_to_tensor([1.0, 3.0])).item()
    1.0
    """
    t = convert_to_tensor(x)
    t = t if t.is_floating_point() else t.float()
    return _reduce(lambda v, d, k=False: torch.var(v, dim=d, keepdim=k, correction=0), t, axis, keepdims)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """Population standard deviation.

    >>> std(convert_to_tensor([1.0, 3.0])).item()
    1.0
    """
    return torch.sqrt(var(x, axis, keepdims))


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """``log(sum(exp(x)))``, computed stably.

    >>> builtins.round(logsumexp(zeros(2)).item(), 4)
    0.6931
    """
    return _reduce(lambda t, d, k=False: torch.logsumexp(t, dim=d, keepdim=k), x, axis, keepdims)


def norm(x: Any, ord: Any = None, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:  # noqa: A002
    """numpy's ``linalg.norm`` (vector 2-norm, or the Frobenius norm of the flattened tensor by default).

    >>> norm(convert_to_tensor([3.0, 4.0])).item()
    5.0
    """
    t = convert_to_tensor(x)
    t = t if t.is_floating_point() else t.float()
    return torch.linalg.norm(t, ord=ord, dim=_dims(axis, t), keepdim=keepdims)


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Running sum (over the flattened tensor when ``axis`` is None).

    >>> cumsum(convert_to_tensor([1, 2, 3])).tolist()
    [1, 3, 6]
    """
    t = convert_to_tensor(x)
    return torch.cumsum(t.flatten() if axis is None else t, dim=0 if axis is None else axis,
                        dtype=standardize_dtype(dtype))


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> torch.Tensor:
    """Running product.

    >>> cumprod(convert_to_tensor([1, 2, 3])).tolist()
    [1, 2, 6]
    """
    t = convert_to_tensor(x)
    return torch.cumprod(t.flatten() if axis is None else t, dim=0 if axis is None else axis,
                         dtype=standardize_dtype(dtype))


def sort(x: Any, axis: int = -1) -> torch.Tensor:
    """Sorted values along ``axis``.

    >>> sort(convert_to_tensor([3, 1, 2])).tolist()
    [1, 2, 3]
    """
    return torch.sort(convert_to_tensor(x), dim=axis, stable=True).values


def argsort(x: Any, axis: int = -1) -> torch.Tensor:
    """Indices that sort ``x`` along ``axis`` (stable).

    >>> argsort(convert_to_tensor([3, 1, 2])).tolist()
    [1, 2, 0]
    """
    return torch.argsort(convert_to_tensor(x), dim=axis, stable=True)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: A002
    """The ``k`` largest values on the last axis and their indices.

    >>> values, indices = top_k(convert_to_tensor([1.0, 3.0, 2.0]), 2)
    >>> values.tolist(), indices.tolist()
    ([3.0, 2.0], [1, 2])
    """
    out = torch.topk(convert_to_tensor(x), int(k), dim=-1, sorted=sorted)
    return out.values, out.indices


def count_nonzero(x: Any, axis: Axis = None) -> torch.Tensor:
    """Number of non-zero entries.

    >>> count_nonzero(convert_to_tensor([0, 1, 2])).item()
    2
    """
    t = convert_to_tensor(x)
    return torch.count_nonzero(t, dim=_dims(axis, t))


# ---------------------------------------------------------------------------- element-wise
def _unary(fn: Callable[[torch.Tensor], torch.Tensor], float_only: bool = False) -> Callable:
    def op(x: Any) -> torch.Tensor:
        t = convert_to_tensor(x)
        return fn(t.float() if float_only and not (t.is_floating_point() or t.is_complex()) else t)
    return op


abs = _unary(torch.abs)  # noqa: A001
absolute = abs
negative = _unary(torch.neg)
sign = _unary(torch.sign)
square = _unary(torch.square)
sqrt = _unary(torch.sqrt, float_only=True)
rsqrt = _unary(torch.rsqrt, float_only=True)
exp = _unary(torch.exp, float_only=True)
expm1 = _unary(torch.expm1, float_only=True)
log = _unary(torch.log, float_only=True)
log1p = _unary(torch.log1p, float_only=True)
log2 = _unary(torch.log2, float_only=True)
log10 = _unary(torch.log10, float_only=True)
sin, cos, tan = (_unary(f, float_only=True) for f in (torch.sin, torch.cos, torch.tan))
arcsin, arccos, arctan = (_unary(f, float_only=True) for f in (torch.asin, torch.acos, torch.atan))
sinh, cosh = _unary(torch.sinh, float_only=True), _unary(torch.cosh, float_only=True)
tanh = _unary(torch.tanh, float_only=True)
erf = _unary(torch.erf, float_only=True)
floor = _unary(torch.floor)
ceil = _unary(torch.ceil)
reciprocal = _unary(torch.reciprocal, float_only=True)
isnan, isinf, isfinite = _unary(torch.isnan), _unary(torch.isinf), _unary(torch.isfinite)
logical_not = _unary(torch.logical_not)
for _name in ("abs", "negative", "sign", "square", "sqrt", "rsqrt", "exp", "expm1", "log", "log1p", "log2",
              "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "erf", "floor",
              "ceil", "reciprocal", "isnan", "isinf", "isfinite", "logical_not"):
    globals()[_name].__name__ = _name
    globals()[_name].__doc__ = f"Element-wise ``{_name}`` (numpy semantics).\n\n    >>> {_name}(ones(1)).shape\n" \
                               "    torch.Size([1])\n    "


def round(x: Any, decimals: int = 0) -> torch.Tensor:  # noqa: A001
    """Round half to even (numpy), to ``decimals`` places.

    >>> round(convert_to_tensor([0.5, 1.5, 2.5])).tolist(), round(convert_to_tensor([1.25]), 1).tolist()
    ([0.0, 2.0, 2.0], [1.2000000476837158])
    """
    return torch.round(convert_to_tensor(x), decimals=decimals)


def clip(x: Any, x_min: Any, x_max: Any) -> torch.Tensor:
    """Limit values to [x_min, x_max].

    >>> clip(convert_to_tensor([-2.0, 0.5, 3.0]), 0, 1).tolist()
    [0.0, 0.5, 1.0]
    """
    return torch.clamp(convert_to_tensor(x), x_min, x_max)


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> torch.Tensor:
    """Replace NaN and infinities with numbers.

    >>> nan_to_num(convert_to_tensor([float('nan')])).tolist()
    [0.0]
    """
    return torch.nan_to_num(convert_to_tensor(x), nan=nan, posinf=posinf, neginf=neginf)


def _binary(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], name: str) -> Callable:
    def op(x1: Any, x2: Any) -> torch.Tensor:
        return fn(*_pair(x1, x2))
    op.__name__ = name
    op.__doc__ = f"Element-wise ``{name}`` with broadcasting (numpy semantics).\n\n" \
                 f"    >>> {name}(ones(2), 1).shape\n    torch.Size([2])\n    "
    return op


add = _binary(torch.add, "add")
subtract = _binary(torch.sub, "subtract")
multiply = _binary(torch.mul, "multiply")
divide = _binary(lambda a, b: torch.true_divide(a, b), "divide")
true_divide = divide
floor_divide = _binary(torch.floor_divide, "floor_divide")
mod = _binary(torch.remainder, "mod")
power = _binary(torch.pow, "power")
maximum = _binary(torch.maximum, "maximum")
minimum = _binary(torch.minimum, "minimum")
equal = _binary(torch.eq, "equal")
not_equal = _binary(torch.ne, "not_equal")
greater = _binary(torch.gt, "greater")
greater_equal = _binary(torch.ge, "greater_equal")
less = _binary(torch.lt, "less")
less_equal = _binary(torch.le, "less_equal")
logical_and = _binary(torch.logical_and, "logical_and")
logical_or = _binary(torch.logical_or, "logical_or")
logical_xor = _binary(torch.logical_xor, "logical_xor")
arctan2 = _binary(torch.atan2, "arctan2")


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` holds, else ``x2``; with one argument, the indices of the true entries.

    >>> where(convert_to_tensor([True, False]), 1.0, 0.0).tolist()
    [1.0, 0.0]
    """
    c = convert_to_tensor(condition).bool()
    if x1 is None and x2 is None:
        return torch.nonzero(c, as_tuple=True)
    a, b = _pair(x1, x2)
    return torch.where(c.to(a.device), a, b)


# ---------------------------------------------------------------------------- linear algebra
def matmul(x1: Any, x2: Any) -> torch.Tensor:
    """Matrix product with numpy's broadcasting rules.

    >>> matmul(ones((2, 3)), ones((3, 4))).shape
    torch.Size([2, 4])
    """
    return torch.matmul(*_pair(x1, x2))


def dot(x1: Any, x2: Any) -> torch.Tensor:
    """numpy's ``dot``: inner product of vectors, matrix product, or a sum over the last axis of ``x1``
    and the second-to-last of ``x2``.

    >>> dot(convert_to_tensor([1.0, 2.0]), convert_to_tensor([3.0, 4.0])).item()
    11.0
    """
    a, b = _pair(x1, x2)
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    if b.dim() == 1:
        return torch.tensordot(a, b, dims=([-1], [0]))
    return torch.tensordot(a, b, dims=([-1], [-2]))


def einsum(subscripts: str, *operands: Any) -> torch.Tensor:
    """Einstein summation, as ``numpy.einsum``.

    >>> einsum('ij,jk->ik', ones((2, 3)), ones((3, 2))).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    return torch.einsum(subscripts, *(convert_to_tensor(o) for o in operands))


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> torch.Tensor:
    """numpy's ``tensordot``.

    >>> tensordot(ones((2, 3)), ones((3, 2)), axes=1).shape
    torch.Size([2, 2])
    """
    return torch.tensordot(*_pair(x1, x2), dims=axes)


def outer(x1: Any, x2: Any) -> torch.Tensor:
    """Outer product of the flattened inputs.

    >>> outer(ones(2), ones(3)).shape
    torch.Size([2, 3])
    """
    a, b = _pair(x1, x2)
    return torch.outer(a.flatten(), b.flatten())


def diag(x: Any, k: int = 0) -> torch.Tensor:
    """The diagonal of a matrix, or a diagonal matrix from a vector.

    >>> diag(convert_to_tensor([1, 2])).tolist()
    [[1, 0], [0, 2]]
    """
    return torch.diag(convert_to_tensor(x), k)


def triu(x: Any, k: int = 0) -> torch.Tensor:
    """Upper triangle (zeros below diagonal ``k``).

    >>> triu(ones((2, 2))).tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    return torch.triu(convert_to_tensor(x), k)


def tril(x: Any, k: int = 0) -> torch.Tensor:
    """Lower triangle (zeros above diagonal ``k``).

    >>> tril(ones((2, 2))).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return torch.tril(convert_to_tensor(x), k)


# ---------------------------------------------------------------------------- more numpy
def swapaxes(x: Any, axis1: int, axis2: int) -> torch.Tensor:
    """Exchange two axes.

    >>> swapaxes(zeros((2, 3, 4)), 0, 2).shape
    torch.Size([4, 3, 2])
    """
    return convert_to_tensor(x).transpose(axis1, axis2)


def moveaxis(x: Any, source: Any, destination: Any) -> torch.Tensor:
    """Move axes to new positions (numpy's ``moveaxis``).

    >>> moveaxis(zeros((2, 3, 4)), 0, -1).shape
    torch.Size([3, 4, 2])
    """
    return torch.movedim(convert_to_tensor(x), source, destination)


def ravel(x: Any) -> torch.Tensor:
    """The elements as one flat vector.

    >>> ravel(zeros((2, 3))).shape
    torch.Size([6])
    """
    return convert_to_tensor(x).reshape(-1)


def broadcast_to(x: Any, shape: Any) -> torch.Tensor:
    """``x`` repeated (without copying) to ``shape``.

    >>> broadcast_to(ones((3,)), (2, 3)).shape
    torch.Size([2, 3])
    """
    return convert_to_tensor(x).expand(_shape_arg(shape))


def copy(x: Any) -> torch.Tensor:
    """A copy of ``x``.

    >>> copy(ones(1)).tolist()
    [1.0]
    """
    return convert_to_tensor(x).clone()


def meshgrid(*xs: Any, indexing: str = "xy") -> list[torch.Tensor]:
    """Coordinate grids (numpy's default ``indexing='xy'``).

    >>> [g.shape for g in meshgrid(arange(3), arange(2))]
    [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    return list(torch.meshgrid(*(convert_to_tensor(v) for v in xs), indexing=indexing))


def average(x: Any, axis: Axis = None, weights: Any = None) -> torch.Tensor:
    """The (weighted) mean over ``axis`` (numpy's ``average``; 1-D weights along one axis).

    >>> average(convert_to_tensor([1.0, 3.0]), weights=convert_to_tensor([3.0, 1.0])).item()
    1.5
    """
    t = convert_to_tensor(x)
    if weights is None:
        return mean(t, axis)
    w = convert_to_tensor(weights).to(device=t.device, dtype=t.dtype if t.is_floating_point() else torch.float32)
    if w.dim() == 1 and t.dim() > 1 and axis is not None:
        shape = [1] * t.dim()
        shape[axis] = -1
        w = w.reshape(shape)
    return sum(t * w, axis) / sum(w.expand_as(t) if w.shape != t.shape else w, axis)


def median(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
    """The median (numpy's: the mean of the two middle values for an even count).

    >>> median(convert_to_tensor([1.0, 4.0, 2.0, 3.0])).item()
    2.5
    """
    t = convert_to_tensor(x)
    t = t if t.is_floating_point() else t.float()
    return _reduce(lambda v, d, k=False: torch.quantile(v, 0.5, dim=d[0] if isinstance(d, tuple) and len(d) == 1
                                                       else d, keepdim=k), t, axis if axis is None or
                   isinstance(axis, int) else _single_axis(axis), keepdims)


def _single_axis(axis: Sequence[int]) -> int:
    if len(axis) != 1:
        raise ValueError(f"median over several axes {tuple(axis)} is not supported; reshape first.")
    return axis[0]


def nonzero(x: Any) -> tuple[torch.Tensor, ...]:
    """Indices of the non-zero entries, one tensor per axis.

    >>> [t.tolist() for t in nonzero(convert_to_tensor([0, 3, 0, 5]))]
    [[1, 3]]
    """
    return torch.nonzero(convert_to_tensor(x), as_tuple=True)


def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> torch.Tensor:
    """Element-wise closeness (numpy's tolerances).

    >>> isclose(convert_to_tensor([1.0, 2.0]), 1.0).tolist()
    [True, False]
    """
    a, b = _pair(x1, x2)
    return torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> torch.Tensor:
    """How often each non-negative integer occurs.

    >>> bincount(convert_to_tensor([0, 2, 2])).tolist()
    [1, 0, 2]
    """
    t = convert_to_tensor(x).long()
    w = None if weights is None else convert_to_tensor(weights).to(t.device)
    return torch.bincount(t, weights=w, minlength=minlength)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The diagonal of two axes.

    >>> diagonal(eye(2)).tolist()
    [1.0, 1.0]
    """
    return torch.diagonal(convert_to_tensor(x), offset, axis1, axis2)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The sum of the diagonal.

    >>> trace(eye(3)).item()
    3.0
    """
    return diagonal(x, offset, axis1, axis2).sum(-1)


def scatter(indices: Any, values: Any, shape: Any) -> torch.Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (one index row per value).

    >>> scatter(convert_to_tensor([[0], [2], [0]]), convert_to_tensor([1.0, 2.0, 3.0]), (3,)).tolist()
    [4.0, 0.0, 2.0]
    """
    v = convert_to_tensor(values)
    out = torch.zeros(_shape_arg(shape), dtype=v.dtype, device=v.device)
    return scatter_update(out, indices, v, accumulate=True)


def scatter_update(inputs: Any, indices: Any, updates: Any, accumulate: bool = False) -> torch.Tensor:
    """A copy of ``inputs`` with entries at ``indices`` (rows of coordinates) set to ``updates``.

    >>> scatter_update(zeros((2, 2)), convert_to_tensor([[0, 1]]), convert_to_tensor([5.0])).tolist()
    [[0.0, 5.0], [0.0, 0.0]]
    """
    t = convert_to_tensor(inputs).clone()
    idx = convert_to_tensor(indices).long().to(t.device)
    coords = tuple(idx[..., i] for i in range(idx.shape[-1]))
    return t.index_put_(coords, convert_to_tensor(updates).to(device=t.device, dtype=t.dtype), accumulate=accumulate)


def slice_update(inputs: Any, start_indices: Sequence[int], updates: Any) -> torch.Tensor:
    """A copy of ``inputs`` with the block at ``start_indices`` replaced by ``updates``.

    >>> slice_update(zeros((3,)), (1,), ones((2,))).tolist()
    [0.0, 1.0, 1.0]
    """
    t = convert_to_tensor(inputs).clone()
    u = convert_to_tensor(updates).to(device=t.device, dtype=t.dtype)
    index = tuple(builtins.slice(int(s), int(s) + n) for s, n in zip(start_indices, u.shape))
    t[index] = u
    return t


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """``function`` applied to each slice along the first axis, results stacked (``torch.vmap``).

    >>> vectorized_map(lambda row: row.sum(), ones((3, 2))).tolist()
    [2.0, 2.0, 2.0]
    """
    return torch.vmap(function)(convert_to_tensor(elements))


def logaddexp(x1: Any, x2: Any) -> torch.Tensor:
    """``log(exp(x1) + exp(x2))``, stably.

    >>> builtins.round(logaddexp(0.0, 0.0).item(), 4)
    0.6931
    """
    return torch.logaddexp(*_pair(x1, x2))


def normalize(x: Any, axis: int = -1, order: int = 2) -> torch.Tensor:
    """Scale to unit ``order``-norm along ``axis``.

    >>> normalize(convert_to_tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """
    return F.normalize(convert_to_tensor(x), p=order, dim=axis)


# ---------------------------------------------------------------------------- neural-network ops
def softmax(x: Any, axis: int = -1) -> torch.Tensor:
    """Softmax along ``axis``.

    >>> softmax(zeros(2)).tolist()
    [0.5, 0.5]
    """
    return torch.softmax(convert_to_tensor(x), dim=axis)


def log_softmax(x: Any, axis: int = -1) -> torch.Tensor:
    """Log-softmax along ``axis``.

    >>> builtins.round(log_softmax(zeros(2))[0].item(), 4)
    -0.6931
    """
    return torch.log_softmax(convert_to_tensor(x), dim=axis)


def sigmoid(x: Any) -> torch.Tensor:
    """Logistic sigmoid.

    >>> sigmoid(zeros(1)).tolist()
    [0.5]
    """
    return torch.sigmoid(convert_to_tensor(x))


def relu(x: Any) -> torch.Tensor:
    """max(x, 0).

    >>> relu(convert_to_tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return torch.relu(convert_to_tensor(x))


def relu6(x: Any) -> torch.Tensor:
    """min(max(x, 0), 6).

    >>> relu6(convert_to_tensor([9.0])).tolist()
    [6.0]
    """
    return F.relu6(convert_to_tensor(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> torch.Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise (Keras' default slope 0.2).

    >>> leaky_relu(convert_to_tensor([-10.0])).tolist()
    [-2.0]
    """
    return F.leaky_relu(convert_to_tensor(x), negative_slope)


def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit.

    >>> elu(zeros(1)).tolist()
    [0.0]
    """
    return F.elu(convert_to_tensor(x), alpha)


def selu(x: Any) -> torch.Tensor:
    """Scaled ELU.

    >>> selu(zeros(1)).tolist()
    [0.0]
    """
    return F.selu(convert_to_tensor(x))


def gelu(x: Any, approximate: bool = True) -> torch.Tensor:
    """Gaussian error linear unit (Keras' default: the tanh approximation).

    >>> gelu(zeros(1)).tolist()
    [0.0]
    """
    return F.gelu(convert_to_tensor(x), approximate="tanh" if approximate else "none")


def silu(x: Any) -> torch.Tensor:
    """x * sigmoid(x) (swish).

    >>> silu(zeros(1)).tolist()
    [0.0]
    """
    return F.silu(convert_to_tensor(x))


swish = silu


def softplus(x: Any) -> torch.Tensor:
    """log(1 + exp(x)).

    >>> builtins.round(softplus(zeros(1)).item(), 4)
    0.6931
    """
    return F.softplus(convert_to_tensor(x))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> torch.Tensor:
    """One-hot vectors of ``num_classes`` for integer labels (new axis at ``axis``).

    >>> one_hot(convert_to_tensor([1]), 3, axis=0).shape
    torch.Size([3, 1])
    """
    out = F.one_hot(convert_to_tensor(x).long(), int(num_classes)).to(standardize_dtype(dtype))
    return out if axis == -1 else out.movedim(-1, axis)


def moments(x: Any, axes: Axis, keepdims: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and (population) variance over ``axes``.

    >>> [v.item() for v in moments(convert_to_tensor([1.0, 3.0]), axes=0)]
    [2.0, 1.0]
    """
    return mean(x, axes, keepdims), var(x, axes, keepdims)


def _crossentropy_axis(target: torch.Tensor, output: torch.Tensor, from_logits: bool, axis: int) -> torch.Tensor:
    log_p = torch.log_softmax(output, dim=axis) if from_logits else \
        torch.log(torch.clamp(output / output.sum(dim=axis, keepdim=True), 1e-7, 1 - 1e-7))
    return -(target * log_p).sum(dim=axis)


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> torch.Tensor:
    """Per-sample cross-entropy between one-hot ``target`` and probabilities (or logits) ``output``.

    >>> builtins.round(categorical_crossentropy(convert_to_tensor([[0.0, 1.0]]), convert_to_tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """
    target, output = _pair(target, output)
    return _crossentropy_axis(target, output, from_logits, axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> torch.Tensor:
    """Per-sample cross-entropy with integer labels.

    >>> builtins.round(sparse_categorical_crossentropy(convert_to_tensor([1]), convert_to_tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """
    out = convert_to_tensor(output)
    labels = convert_to_tensor(target).long().reshape(out.shape[:axis % out.dim()] + out.shape[axis % out.dim() + 1:])
    return _crossentropy_axis(one_hot(labels, out.shape[axis], axis=axis, dtype=out.dtype), out, from_logits, axis)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    """Element-wise binary cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7] as Keras does).

    >>> builtins.round(binary_crossentropy(convert_to_tensor([1.0]), convert_to_tensor([0.5])).item(), 4)
    0.6931
    """
    target, output = _pair(target, output)
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    p = torch.clamp(output, 1e-7, 1 - 1e-7)
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p))


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: str | None = None,
         dilation_rate: Any = 1) -> torch.Tensor:
    """N-D convolution in Keras' layouts: inputs (N, *spatial, C) and kernel (*k, C_in, C_out) when
    channels_last (the default).

    >>> conv(ones((1, 5, 5, 1)), ones((3, 3, 1, 2))).shape
    torch.Size([1, 3, 3, 2])
    """
    from glassnet.config import resolve_data_format

    x, k = _pair(inputs, kernel)
    rank = x.dim() - 2
    last = resolve_data_format(data_format) == "channels_last"
    if last:
        x = x.movedim(-1, 1)
    weight = k.permute(rank + 1, rank, *range(rank))  # (*k, in, out) -> (out, in, *k)
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[rank]
    torch_padding = "same" if padding == "same" else 0
    y = fn(x, weight, None, strides if torch_padding == 0 else 1, torch_padding, dilation_rate)
    return y.movedim(1, -1) if last else y


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: str | None):
    from glassnet.config import resolve_data_format

    x = convert_to_tensor(inputs)
    rank = x.dim() - 2
    last = resolve_data_format(data_format) == "channels_last"
    if last:
        x = x.movedim(-1, 1)
    if padding != "valid":
        raise ValueError(f"{kind}_pool: only padding='valid' is supported by ops; use the pooling layers for "
                         "'same'.")
    fn = getattr(F, f"{kind}_pool{rank}d")
    y = fn(x, pool_size, strides if strides is not None else pool_size)
    return y.movedim(1, -1) if last else y


def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> torch.Tensor:
    """Max pooling in the user's layout (channels_last by default).

    >>> max_pool(ones((1, 4, 4, 1)), 2).shape
    torch.Size([1, 2, 2, 1])
    """
    return _pool("max", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> torch.Tensor:
    """Average pooling in the user's layout.

    >>> average_pool(ones((1, 4, 4, 1)), 2).shape
    torch.Size([1, 2, 2, 1])
    """
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


def hard_sigmoid(x: Any) -> torch.Tensor:
    """``relu6(x + 3) / 6`` (Keras 3's hard sigmoid).

    >>> hard_sigmoid(zeros(1)).tolist()
    [0.5]
    """
    return F.hardsigmoid(convert_to_tensor(x))


def log_sigmoid(x: Any) -> torch.Tensor:
    """``log(sigmoid(x))``, stably.

    >>> builtins.round(log_sigmoid(zeros(1)).item(), 4)
    -0.6931
    """
    return F.logsigmoid(convert_to_tensor(x))


def softsign(x: Any) -> torch.Tensor:
    """``x / (|x| + 1)``.

    >>> softsign(ones(1)).tolist()
    [0.5]
    """
    return F.softsign(convert_to_tensor(x))


def _resize(images: Any, size: Sequence[int], interpolation: str = "bilinear", antialias: bool = False,
            data_format: str | None = None) -> torch.Tensor:
    """Resize images (batch or single, channels_last by default) to ``size`` (height, width).

    >>> image.resize(ones((1, 4, 4, 3)), (2, 2)).shape
    torch.Size([1, 2, 2, 3])
    """
    from glassnet.config import resolve_data_format

    x = convert_to_tensor(images)
    single = x.dim() == 3
    x = x[None] if single else x
    last = resolve_data_format(data_format) == "channels_last"
    x = x.movedim(-1, 1) if last else x
    mode = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic", "area": "area"}.get(interpolation)
    if mode is None:
        raise ValueError(f"image.resize(interpolation={interpolation!r}): use bilinear, nearest, bicubic or area.")
    kwargs = {"align_corners": False, "antialias": antialias} if mode in ("bilinear", "bicubic") else {}
    y = F.interpolate(x.float() if not x.is_floating_point() else x, size=tuple(size), mode=mode, **kwargs)
    y = y.movedim(1, -1) if last else y
    return y[0] if single else y


#: Keras' ``ops.image`` sub-namespace (``resize``)
image = types.SimpleNamespace(resize=_resize)


_NN_NAMES = ("softmax", "log_softmax", "sigmoid", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu",
             "hard_sigmoid", "log_sigmoid", "softsign",
             "swish", "softplus", "tanh", "one_hot", "moments", "categorical_crossentropy",
             "sparse_categorical_crossentropy", "binary_crossentropy", "conv", "max_pool", "average_pool")
#: Keras' ``ops.nn`` sub-namespace
nn = types.SimpleNamespace(**{n: globals()[n] for n in _NN_NAMES})
#: Keras' ``ops.numpy`` sub-namespace: the same functions as the top level
numpy = types.SimpleNamespace(**{n: v for n, v in list(globals().items())
                                 if callable(v) and not n.startswith("_") and getattr(v, "__module__", "") == __name__})
