"""``keras.random`` on PyTorch: seeded random tensors.

``seed`` is None (torch's global generator; ``glassnet.utils.set_random_seed``
seeds it), an int (the same numbers every call), or a :class:`SeedGenerator`
(a stream: different numbers each call, reproducible from its seed). Numbers are
drawn on the CPU (the same on every machine) and land where ``glassnet.ops`` puts
new tensors (:func:`glassnet.ops.default_device`); ``dropout`` and ``shuffle``
keep their input's device.

>>> from glassnet import random
>>> random.normal((2, 3), seed=1).shape
torch.Size([2, 3])
>>> bool((random.uniform((2,), seed=1) == random.uniform((2,), seed=1)).all())
True
"""

from __future__ import annotations

from typing import Any

import torch


class SeedGenerator:
    """A reproducible stream of random draws (Keras' ``keras.random.SeedGenerator``).

    >>> g = SeedGenerator(42)
    >>> bool((normal((2,), seed=g) != normal((2,), seed=g)).all())
    True
    """

    def __init__(self, seed: int | None = None):
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))


class SeedStream:
    """What a layer's ``seed=`` argument becomes: one generator per device, all seeded with ``seed``, so
    the layer's random draws (dropout masks, augmentations) repeat from run to run whatever else draws
    numbers; ``seed=None`` gives None generators, i.e. torch's global one (``set_random_seed`` seeds it).

    >>> stream = SeedStream(7)
    >>> first = torch.rand(3, generator=stream.generator(torch.device('cpu')))
    >>> bool((first == torch.rand(3, generator=SeedStream(7).generator(torch.device('cpu')))).all())
    True
    >>> SeedStream(None).generator(torch.device('cpu')) is None
    True
    """

    def __init__(self, seed: int | None):
        self.seed = None if seed is None else int(seed)
        self._generators: dict[str, torch.Generator] = {}

    def generator(self, device: torch.device) -> torch.Generator | None:
        """This stream's generator on ``device`` (created on first use), or None without a seed."""
        if self.seed is None:
            return None
        key = str(device)
        if key not in self._generators:
            self._generators[key] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[key]


def keep_mask(shape: tuple, rate: float, like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A boolean dropout mask of ``shape`` on ``like``'s device: True (keep) with probability 1 - ``rate``.

    (Uniform numbers and a comparison: on the CPU several times faster than torch's ``bernoulli_``.)

    >>> keep_mask((2, 2), 0.0, torch.ones(1)).tolist()
    [[True, True], [True, True]]
    """
    return torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype) >= rate


def _generator(seed: Any) -> torch.Generator | None:
    if seed is None:
        return None
    if isinstance(seed, SeedGenerator):
        return seed.generator
    return torch.Generator().manual_seed(int(seed))


def _dtype(dtype: Any, default: str = "float32") -> torch.dtype:
    from glassnet.ops import standardize_dtype
    return standardize_dtype(dtype or default)


def _placed(tensor: torch.Tensor) -> torch.Tensor:
    from glassnet.ops import default_device
    return tensor.to(default_device())


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> torch.Tensor:
    """Normal draws with ``mean`` and ``stddev``.

    >>> normal((1000,), mean=5.0, seed=0).mean().round().item()
    5.0
    """
    out = torch.randn(_shape(shape), generator=_generator(seed), dtype=_dtype(dtype))
    return _placed(out * stddev + mean)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> torch.Tensor:
    """Uniform draws in [minval, maxval).

    >>> bool(((uniform((100,), 2, 3, seed=0) >= 2) & (uniform((100,), 2, 3, seed=0) < 3)).all())
    True
    """
    out = torch.rand(_shape(shape), generator=_generator(seed), dtype=_dtype(dtype))
    return _placed(out * (maxval - minval) + minval)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> torch.Tensor:
    """Normal draws re-drawn until within two standard deviations of the mean.

    >>> bool((truncated_normal((1000,), seed=0).abs() <= 2).all())
    True
    """
    out = torch.empty(_shape(shape), dtype=_dtype(dtype))
    torch.nn.init.trunc_normal_(out, 0.0, 1.0, -2.0, 2.0, generator=_generator(seed))
    return _placed(out * stddev + mean)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> torch.Tensor:
    """Integers in [minval, maxval).

    >>> randint((3,), 0, 1, seed=0).tolist()
    [0, 0, 0]
    """
    return _placed(torch.randint(int(minval), int(maxval), _shape(shape), generator=_generator(seed),
                                 dtype=_dtype(dtype)))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> torch.Tensor:
    """``num_samples`` class draws per row of unnormalised log-probabilities (batch, classes).

    >>> categorical(torch.tensor([[0.0, -1e9]]), 3, seed=0).tolist()
    [[0, 0, 0]]
    """
    logits = torch.as_tensor(logits, dtype=torch.float32)
    probs = torch.softmax(logits.detach().cpu(), dim=-1)
    draws = torch.multinomial(probs, int(num_samples), replacement=True, generator=_generator(seed))
    return draws.to(device=logits.device, dtype=_dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> torch.Tensor:
    """Zero a fraction ``rate`` of entries and scale the rest by 1 / (1 - rate).

    >>> dropout(torch.ones(4), 0.0).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    x = torch.as_tensor(inputs)
    shape = x.shape if noise_shape is None else _shape(noise_shape)
    keep = (torch.rand(shape, generator=_generator(seed)) >= rate).to(x.device)
    return x * keep / (1.0 - rate)


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> torch.Tensor:
    """``x`` with its entries along ``axis`` in random order.

    >>> sorted(shuffle(torch.arange(4), seed=0).tolist())
    [0, 1, 2, 3]
    """
    x = torch.as_tensor(x)
    order = torch.randperm(x.shape[axis], generator=_generator(seed)).to(x.device)
    return x.index_select(axis, order)


__all__ = ["SeedGenerator", "SeedStream", "keep_mask", "normal", "uniform", "truncated_normal", "randint",
           "categorical", "dropout", "shuffle"]
