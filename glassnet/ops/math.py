"""Maths ops of ``keras.ops`` (numpy's names): reductions with ``axis``/``keepdims``, element-wise
functions with broadcasting, comparisons, linear algebra.

>>> mean(convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).tolist()
[2.0, 3.0]
"""

from __future__ import annotations

import builtins
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from glassnet.ops.arrays import arange, diagonal, eye, ones, zeros  # noqa: F401  (doctests use them too)
from glassnet.ops.core import Axis, _dims, _pair, convert_to_tensor, standardize_dtype


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


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The sum of the diagonal.

    >>> trace(eye(3)).item()
    3.0
    """
    return diagonal(x, offset, axis1, axis2).sum(-1)


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


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == __name__]
