"""Weight initializers with Keras names and Keras statistics.

Shapes follow PyTorch's conventions — a Dense kernel is (out, in), a conv kernel
(out, in/groups, *kernel) — and fans are computed the way PyTorch computes them,
so ``he_normal`` gives variance 2/fan_in for both layer kinds.

>>> w = HeNormal(seed=0)((256, 784))
>>> round(float(w.var() * 784), 1)
2.0
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from glassnet.naming import lookup

Shape = Sequence[int]


def compute_fans(shape: Shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of PyTorch shape (out, in, *kernel).

    >>> compute_fans((6, 3, 5, 5))
    (75, 150)
    """
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


class Initializer:
    """Base class: ``init(shape) -> tensor``. Subclasses implement :meth:`fill_`.

    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def __call__(self, shape: Shape, dtype: torch.dtype | None = None) -> torch.Tensor:
        tensor = torch.empty(tuple(shape), dtype=dtype or torch.float32)
        with torch.no_grad():
            self.fill_(tensor)
        return tensor

    def _generator(self) -> torch.Generator | None:
        return None if self.seed is None else torch.Generator().manual_seed(self.seed)

    def fill_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Fill ``tensor`` in place and return it."""
        raise NotImplementedError

    def get_config(self) -> dict:
        """Arguments that rebuild this initializer."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class Constant(Initializer):
    """Every value equal to ``value``.

    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """

    def __init__(self, value: float = 0.0):
        super().__init__()
        self.value = value

    def fill_(self, tensor):
        return tensor.fill_(self.value)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """All zeros (the default bias)."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """All ones (batch-norm scale)."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class RandomNormal(Initializer):
    """Normal(mean, stddev); Keras' default stddev is 0.05.

    >>> RandomNormal(stddev=0.0)((1,)).item()
    0.0
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def fill_(self, tensor):
        return tensor.normal_(self.mean, self.stddev, generator=self._generator())


class RandomUniform(Initializer):
    """Uniform(minval, maxval); Keras' default range is ±0.05.

    >>> bool((RandomUniform()((100,)).abs() <= 0.05).all())
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def fill_(self, tensor):
        return tensor.uniform_(self.minval, self.maxval, generator=self._generator())


class VarianceScaling(Initializer):
    """Keras' VarianceScaling: variance ``scale / n`` with n = fan_in, fan_out or their mean.

    'truncated_normal' cuts at two standard deviations and rescales so the
    variance is still ``scale / n``; 'uniform' draws from ±sqrt(3·scale/n).

    >>> w = VarianceScaling(1.0, 'fan_avg', 'uniform', seed=0)((10, 20))
    >>> bool(w.abs().max() <= math.sqrt(6 / 30))
    True
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None):
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def fill_(self, tensor):
        fan_in, fan_out = compute_fans(tensor.shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        gen = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return tensor.uniform_(-limit, limit, generator=gen)
        if self.distribution == "untruncated_normal":
            return tensor.normal_(0.0, math.sqrt(variance), generator=gen)
        # std of a unit normal truncated to [-2, 2]
        stddev = math.sqrt(variance) / 0.87962566103423978
        return torch.nn.init.trunc_normal_(tensor, 0.0, stddev, -2 * stddev, 2 * stddev, generator=gen)


class GlorotUniform(VarianceScaling):
    """Xavier/Glorot uniform: U(±sqrt(6 / (fan_in + fan_out))). Keras' default kernel.

    >>> w = GlorotUniform(seed=1)((64, 784))
    >>> bool(w.abs().max() <= math.sqrt(6 / (784 + 64)))
    True
    """

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_avg", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotNormal(VarianceScaling):
    """Xavier/Glorot normal: truncated normal with variance 2 / (fan_in + fan_out)."""

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeNormal(VarianceScaling):
    """He/Kaiming normal for ReLU nets: truncated normal with variance 2 / fan_in."""

    def __init__(self, seed: int | None = None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class HeUniform(VarianceScaling):
    """He/Kaiming uniform: U(±sqrt(6 / fan_in))."""

    def __init__(self, seed: int | None = None):
        super().__init__(2.0, "fan_in", "uniform", seed)

    def get_config(self):
        return {"seed": self.seed}


class LecunNormal(VarianceScaling):
    """LeCun normal (for SELU nets): truncated normal with variance 1 / fan_in."""

    def __init__(self, seed: int | None = None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)

    def get_config(self):
        return {"seed": self.seed}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (rows/columns orthonormal)."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        super().__init__(seed)
        self.gain = gain

    def fill_(self, tensor):
        return torch.nn.init.orthogonal_(tensor, gain=self.gain, generator=self._generator())


ALL: dict[str, type[Initializer]] = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "xavier_uniform": GlorotUniform, "xavier_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal, "variance_scaling": VarianceScaling,
}

InitializerLike = str | Initializer | Callable[..., torch.Tensor]


def get(identifier: InitializerLike | None) -> Initializer | Callable[..., torch.Tensor] | None:
    """An initializer from its Keras name, or the object itself.

    >>> type(get('he_normal')).__name__
    'HeNormal'
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return lookup("initializer", identifier["class_name"], ALL)(**identifier.get("config", {}))
    return lookup("initializer", identifier, ALL)()


def serialize(init: InitializerLike | None) -> str | dict | None:
    """A JSON-ready description of an initializer, for model configs.

    >>> serialize(HeNormal())
    {'class_name': 'he_normal', 'config': {'seed': None}}
    """
    if init is None or isinstance(init, str):
        return init
    names = {cls: name for name, cls in reversed(list(ALL.items()))}
    if type(init) in names:
        return {"class_name": names[type(init)], "config": init.get_config()}
    raise TypeError(f"Cannot save the custom initializer {init!r}; use a named one or rebuild the model in code.")
