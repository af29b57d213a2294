"""Array ops of ``keras.ops`` (numpy's names): creation, shapes, joining and splitting, indexing,
scatter and slice updates.

>>> reshape(arange(6), (2, -1)).shape
torch.Size([2, 3])
"""

from __future__ import annotations

import builtins
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from glassnet.ops.core import (Axis, _dims, _pair, _shape_arg, convert_to_tensor, default_device, shape,
                               standardize_dtype)


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


def nonzero(x: Any) -> tuple[torch.Tensor, ...]:
    """Indices of the non-zero entries, one tensor per axis.

    >>> [t.tolist() for t in nonzero(convert_to_tensor([0, 3, 0, 5]))]
    [[1, 3]]
    """
    return torch.nonzero(convert_to_tensor(x), as_tuple=True)


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> torch.Tensor:
    """The diagonal of two axes.

    >>> diagonal(eye(2)).tolist()
    [1.0, 1.0]
    """
    return torch.diagonal(convert_to_tensor(x), offset, axis1, axis2)


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


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == __name__]
