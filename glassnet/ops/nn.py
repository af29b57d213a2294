"""Neural-network ops of ``keras.ops`` (``keras.ops.nn``): activations, one-hot, moments,
crossentropies, convolution and pooling in Keras' layout.

>>> softmax(convert_to_tensor([0.0, 0.0])).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import builtins
from typing import Any

import torch
import torch.nn.functional as F

from glassnet.ops.core import Axis, _pair, convert_to_tensor, standardize_dtype
from glassnet.ops.arrays import ones, zeros  # noqa: F401  (doctests)
from glassnet.ops.math import mean, tanh, var  # noqa: F401  (ops.nn.tanh)


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


__all__ = [name for name, value in list(globals().items())
           if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == __name__]
