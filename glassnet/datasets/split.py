"""Train / dev / test splits: stratified, seeded, reproducible.

The default sizes follow the course's rule of thumb: with little data keep
about 60 / 20 / 20; the more data, the smaller the share dev and test need
(about 98 / 1 / 1 from a million samples) — see :func:`default_fractions`.

>>> import numpy as np
>>> x, y = np.arange(100), np.arange(100) % 2
>>> (xt, yt), (xd, yd), (xs, ys) = split(x, y, seed=0)
>>> len(xt), len(xd), len(xs)
(60, 20, 20)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from glassnet.errors import ShapeError


def default_fractions(n: int) -> tuple[float, float, float]:
    """(train, dev, test) shares for ``n`` samples: 60/20/20 up to 10,000, 98/1/1 from 1,000,000,
    log-linear in between.

    >>> default_fractions(1000), default_fractions(2_000_000)
    ((0.6, 0.2, 0.2), (0.98, 0.01, 0.01))
    """
    lo, hi = 10_000, 1_000_000
    if n <= lo:
        share = 0.2
    elif n >= hi:
        share = 0.01
    else:
        t = (math.log(n) - math.log(lo)) / (math.log(hi) - math.log(lo))
        share = 0.2 * (0.01 / 0.2) ** t
    share = round(share, 6)
    return round(1 - 2 * share, 6), share, share


def _labels_for_strata(y: Any, n: int) -> np.ndarray | None:
    """Integer class of each sample for stratification, or None when y is not categorical."""
    if y is None:
        return None
    arr = y.detach().cpu().numpy() if torch.is_tensor(y) else np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] > 1:  # one-hot
        arr = arr.argmax(1)
    arr = arr.reshape(n, -1)[:, 0] if arr.ndim > 1 else arr
    if arr.dtype.kind == "f" and not np.all(arr == np.round(arr)):
        return None  # regression targets: plain random split
    _, codes = np.unique(arr, return_inverse=True)
    return codes if codes.max(initial=0) < max(n // 2, 2) else None


def split_indices(n: int, y: Any = None, fractions: tuple[float, float, float] | None = None, seed: int = 0,
                  stratify: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint index arrays (train, dev, test) covering ``range(n)``.

    >>> tr, dv, te = split_indices(10, fractions=(0.6, 0.2, 0.2))
    >>> sorted(np.concatenate([tr, dv, te]).tolist()) == list(range(10))
    True
    """
    train, dev, test = fractions or default_fractions(n)
    if min(train, dev, test) < 0 or abs(train + dev + test - 1) > 1e-6:
        raise ValueError(f"Split fractions {fractions} must be >= 0 and add up to 1.")
    rng = np.random.default_rng(seed)
    strata = _labels_for_strata(y, n) if stratify else None
    groups = [np.arange(n)] if strata is None else [np.flatnonzero(strata == c) for c in range(strata.max() + 1)]
    parts: list[list[np.ndarray]] = [[], [], []]
    for group in groups:
        group = rng.permutation(group)
        n_test = int(round(len(group) * test))
        n_dev = int(round(len(group) * dev))
        parts[2].append(group[:n_test])
        parts[1].append(group[n_test:n_test + n_dev])
        parts[0].append(group[n_test + n_dev:])
    return tuple(rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts)  # type: ignore[return-value]


def take(data: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of a numpy array, torch tensor, pandas object or list.

    >>> take([10, 20, 30], np.array([2, 0]))
    [30, 10]
    """
    if data is None:
        return None
    if torch.is_tensor(data):
        return data[torch.as_tensor(index, device=data.device)]
    if hasattr(data, "iloc"):
        return data.iloc[index]
    if isinstance(data, (list, tuple)):
        return [data[i] for i in index]
    return np.asarray(data)[index]


def split(x: Any, y: Any = None, train: float | None = None, dev: float | None = None, test: float | None = None,
          seed: int = 0, stratify: bool = True):
    """Split ``x`` (and ``y``) into train / dev / test.

    Give any of ``train``, ``dev``, ``test`` as fractions (the rest is shared
    out: a missing ``dev`` equals ``test`` and vice versa, ``train`` takes what
    is left); give none for the rule-of-thumb default. Classification labels
    are stratified (each class keeps its share in every split); the same
    ``seed`` always gives the same split. Returns
    ``(x_train, y_train), (x_dev, y_dev), (x_test, y_test)``, or
    ``x_train, x_dev, x_test`` without ``y``.

    >>> x, y = np.arange(50), np.arange(50) % 5
    >>> (xt, yt), (xd, yd), (xs, ys) = split(x, y, dev=0.1, test=0.1, seed=1)
    >>> len(xt), len(xd), len(xs), np.bincount(ys).tolist()
    (40, 5, 5, [1, 1, 1, 1, 1])
    """
    n = len(x)
    if y is not None and len(y) != n:
        raise ShapeError(f"split: x has {n} samples but y has {len(y)}; they must have the same length.")
    fractions = _resolve(n, train, dev, test)
    parts = split_indices(n, y, fractions, seed, stratify)
    if y is None:
        return tuple(take(x, p) for p in parts)
    return tuple((take(x, p), take(y, p)) for p in parts)


def _resolve(n: int, train, dev, test) -> tuple[float, float, float]:
    if train is None and dev is None and test is None:
        return default_fractions(n)
    if dev is None and test is None:
        dev = test = (1 - train) / 2
    elif dev is None:
        dev = test if train is None else 1 - train - test
    elif test is None:
        test = dev if train is None else 1 - train - dev
    if train is None:
        train = 1 - dev - test
    return float(train), float(dev), float(test)
