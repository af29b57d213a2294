"""train / dev / test splits: disjoint, complete, stratified, reproducible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from glassnet.datasets import split
from glassnet.datasets.split import default_fractions, split_indices
from glassnet.errors import ShapeError


def test_no_sample_in_two_splits_and_all_used():
    for n in (10, 1000, 12_345):
        y = np.arange(n) % 7
        parts = split_indices(n, y, seed=3)
        joined = np.concatenate(parts)
        assert len(joined) == n and len(np.unique(joined)) == n
        assert not set(parts[0]) & set(parts[1]) and not set(parts[1]) & set(parts[2])


def test_same_seed_same_split_other_seed_other_split():
    x, y = np.arange(500), np.arange(500) % 4
    a, b, c = split(x, y, seed=7), split(x, y, seed=7), split(x, y, seed=8)
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))
    assert not np.array_equal(a[2][0], c[2][0])


def test_stratified_and_rule_of_thumb_sizes():
    x = np.arange(1000)
    y = np.where(x < 900, 0, 1)  # 90 / 10 imbalance
    (xt, yt), (xd, yd), (xs, ys) = split(x, y)
    assert (len(xt), len(xd), len(xs)) == (600, 200, 200)
    assert np.bincount(ys).tolist() == [180, 20] and np.bincount(yd).tolist() == [180, 20]
    assert default_fractions(2_000_000) == (0.98, 0.01, 0.01)
    assert default_fractions(1000) == (0.6, 0.2, 0.2)
    mid = default_fractions(100_000)
    assert 0.01 < mid[1] < 0.2 and abs(sum(mid) - 1) < 1e-6


def test_explicit_fractions_and_types():
    x = torch.arange(100).float()[:, None]
    y = torch.arange(100) % 2
    (xt, yt), (xd, _), (xs, _) = split(x, y, train=0.8, dev=0.1, test=0.1)
    assert torch.is_tensor(xt) and (len(xt), len(xd), len(xs)) == (80, 10, 10)
    frame = pd.DataFrame({"a": range(50), "t": [0, 1] * 25})
    tr, dv, te = split(frame, test=0.2, dev=0.0)
    assert len(tr) == 40 and len(dv) == 0 and len(te) == 10 and isinstance(te, pd.DataFrame)
    targets = np.linspace(0, 1, 100)  # regression targets: random split
    (_, yt), _, (_, ys) = split(np.zeros((100, 2)), targets, seed=0)
    assert len(yt) + len(ys) == 80
    with pytest.raises(ShapeError):
        split(np.zeros(5), np.zeros(6))
    with pytest.raises(ValueError):
        split(np.zeros(5), train=0.9, dev=0.2)


def test_every_label_stays_with_its_sample_in_every_split():
    x = np.arange(300) * 10  # sample i is 10 * i, labelled i % 3 and carrying its index in a frame too
    y = np.arange(300) % 3
    for (xs, ys) in split(x, y, seed=4):
        np.testing.assert_array_equal(ys, (xs // 10) % 3)
        assert list(xs) != sorted(xs)  # shuffled, yet still paired
    frame = pd.DataFrame({"index": np.arange(300), "label": y})
    for part in split(frame, seed=4):
        np.testing.assert_array_equal(part["label"].to_numpy(), part["index"].to_numpy() % 3)
    tensors = split(torch.arange(300)[:, None].float(), torch.arange(300) % 3, seed=4)
    for xs, ys in tensors:
        assert torch.equal(ys, xs[:, 0].long() % 3)
