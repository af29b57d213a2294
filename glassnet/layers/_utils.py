"""Small helpers shared by the conv, pooling and padding layers.

Keras' 'same' padding (TensorFlow's rule) pads ``total = max((ceil(n/s)-1)·s + k_eff - n, 0)``
cells and puts the extra one at the end (bottom/right) when ``total`` is odd;
PyTorch's ``padding=`` is symmetric, so the odd case needs an explicit ``F.pad``.

>>> same_padding(size=224, kernel=3, stride=2)
(0, 1)
>>> same_padding(size=7, kernel=3, stride=1)
(1, 1)
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from glassnet import layout


def normalize_tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as a tuple of ``n`` positive ints.

    >>> normalize_tuple(3, 2, 'kernel_size'), normalize_tuple((1, 2), 2, 'strides')
    ((3, 3), (1, 2))
    """
    if isinstance(value, int):
        values = (value,) * n
    else:
        values = tuple(int(v) for v in value)
    if len(values) != n or any(v <= 0 for v in values):
        raise ValueError(f"{name} must be a positive int or a tuple of {n} positive ints, got {value!r}.")
    return values


def normalize_padding(padding: str, allowed: Sequence[str] = ("valid", "same")) -> str:
    """Lower-cased padding name, checked against ``allowed``.

    >>> normalize_padding('SAME')
    'same'
    """
    mode = str(padding).lower()
    if mode not in allowed:
        raise ValueError(f"padding must be one of {', '.join(repr(a) for a in allowed)}, got {padding!r}.")
    return mode


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) cells of TensorFlow/Keras 'same' padding for one spatial axis.

    >>> same_padding(5, 2, 2)
    (0, 1)
    """
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def pad_amounts(x: torch.Tensor, padding: str, kernel: Sequence[int], strides: Sequence[int],
                dilation: Sequence[int]) -> list[tuple[int, int]]:
    """(before, after) per spatial axis of ``x`` (N, C, *spatial) for 'valid', 'same' or 'causal'.

    >>> pad_amounts(torch.zeros(1, 1, 8), 'causal', (3,), (1,), (2,))
    [(4, 0)]
    """
    spatial = x.shape[2:]
    if padding == "valid":
        return [(0, 0)] * len(spatial)
    if padding == "causal":
        return [((k - 1) * d, 0) for k, d in zip(kernel, dilation)]
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation)]


def apply_padding(x: torch.Tensor, pads: list[tuple[int, int]], value: float = 0.0
                  ) -> tuple[torch.Tensor, tuple[int, ...]]:
    """Return ``(x, torch_padding)``: symmetric pads go to the torch op, asymmetric ones are applied here.

    >>> y, p = apply_padding(torch.zeros(1, 1, 4, 4), [(0, 1), (0, 1)]); tuple(y.shape), p
    ((1, 1, 5, 5), (0, 0))
    """
    if all(before == after for before, after in pads):
        return x, tuple(before for before, _ in pads)
    flat = [amount for before, after in reversed(pads) for amount in (before, after)]
    return F.pad(x, flat, value=value), (0,) * len(pads)


def build_if_declared(layer) -> None:
    """Build ``layer`` now when it was given ``input_shape=`` (user layout), as Dense does.

    >>> from glassnet.layers.base import Layer
    >>> build_if_declared(Layer())
    """
    if layer._batch_input_shape is not None and not layer.built:
        example = torch.zeros((1, *layer._batch_input_shape[1:]))
        layer._build_from([layout.to_internal(example, layer.data_format)])


def channels_first_1d(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """A rank-3 sequence as (N, C, steps) for torch's 1-D ops (a view; no copy).

    >>> channels_first_1d(torch.zeros(2, 10, 3), 'channels_last').shape
    torch.Size([2, 3, 10])
    """
    return x.transpose(1, 2) if data_format == "channels_last" else x


def from_channels_first_1d(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """Undo :func:`channels_first_1d`.

    >>> from_channels_first_1d(torch.zeros(2, 3, 10), 'channels_last').shape
    torch.Size([2, 10, 3])
    """
    return x.transpose(1, 2) if data_format == "channels_last" else x
