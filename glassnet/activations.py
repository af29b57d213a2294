"""Activation functions by their Keras names.

>>> import torch
>>> [round(v, 4) for v in softmax(torch.tensor([3.0, -2.0, 6.0])).tolist()]
[0.0474, 0.0003, 0.9523]
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from glassnet.naming import lookup

Activation = Callable[[torch.Tensor], torch.Tensor]


def linear(x: torch.Tensor) -> torch.Tensor:
    """Identity: f(x) = x."""
    return x


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid 1 / (1 + e^-x), squashing to (0, 1).

    >>> sigmoid(torch.tensor([0.0])).item()
    0.5
    """
    return torch.sigmoid(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent, squashing to (-1, 1)."""
    return torch.tanh(x)


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit max(0, x).

    >>> relu(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return F.relu(x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.2) -> torch.Tensor:
    """max(x, negative_slope·x); Keras' default slope is 0.2."""
    return F.leaky_relu(x, negative_slope)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: x if x > 0 else alpha·(e^x − 1)."""
    return F.elu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled ELU, self-normalising with lecun_normal weights."""
    return F.selu(x)


def gelu(x: torch.Tensor) -> torch.Tensor:
    """Gaussian error linear unit x·Φ(x)."""
    return F.gelu(x)


def swish(x: torch.Tensor) -> torch.Tensor:
    """Swish / SiLU: x·sigmoid(x)."""
    return F.silu(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """log(1 + e^x), a smooth ReLU."""
    return F.softplus(x)


def softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """e^x / sum(e^x) along ``axis``: turns scores into probabilities.

    >>> round(softmax(torch.tensor([1.0, 1.0]))[0].item(), 2)
    0.5
    """
    return torch.softmax(x, dim=axis)


def hardmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """One-hot of the arg-max: the 'hard' version of softmax shown in the course.

    >>> hardmax(torch.tensor([3.0, -2.0, 6.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    index = x.argmax(dim=axis, keepdim=True)
    return torch.zeros_like(x).scatter_(axis, index, 1.0)


ALL: dict[str, Activation] = {
    "linear": linear, "sigmoid": sigmoid, "tanh": tanh, "relu": relu,
    "leaky_relu": leaky_relu, "elu": elu, "selu": selu, "gelu": gelu,
    "swish": swish, "silu": swish, "softplus": softplus, "softmax": softmax,
}


def get(identifier: str | Activation | None) -> Activation:
    """An activation function from its name (None means linear), or the callable itself.

    >>> get('relu') is relu
    True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and ">" in identifier:  # your function, saved as 'package>name'
        from glassnet import serialization
        return serialization.get_class(identifier)
    return lookup("activation", identifier, ALL)


def serialize(fn: Activation) -> str:
    """The name of a built-in activation, for model configs.

    >>> serialize(relu)
    'relu'
    """
    for name, candidate in ALL.items():
        if candidate is fn:
            return name
    from glassnet import serialization
    from glassnet.errors import UnknownNameError
    registered = serialization.registered_name(fn)
    try:
        if ">" in registered and serialization.get_class(registered) is fn:  # register_keras_serializable
            return registered
    except UnknownNameError:
        pass
    if isinstance(fn, torch.nn.Module):
        raise TypeError(f"Cannot save activation module {fn!r} by name; use a named activation.")
    raise TypeError(f"Cannot save the custom activation {getattr(fn, '__name__', fn)!r}; use a named one "
                    "or register it with @glassnet.saving.register_keras_serializable(), or rebuild the model in code "
                    "and use save_weights/load_weights.")
