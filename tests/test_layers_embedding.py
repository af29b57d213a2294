"""Embedding against torch's nn.Embedding."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from glassnet.layers import Embedding


def test_embedding_matches_nn_embedding_values_and_grads():
    layer = Embedding(20, 4)
    ref = nn.Embedding(20, 4)
    ref.load_state_dict(layer.state_dict(), strict=True)
    ids = torch.tensor([[1, 2, 2, 19], [0, 0, 5, 7]])
    y, expected = layer(ids), ref(ids)
    torch.testing.assert_close(y, expected)
    probe = torch.randn_like(y)
    (g1,) = torch.autograd.grad((y * probe).sum(), layer.weight)
    (g2,) = torch.autograd.grad((expected * probe).sum(), ref.weight)
    torch.testing.assert_close(g1, g2)


def test_embedding_casts_float_ids_and_counts():
    layer = Embedding(10, 3)
    torch.testing.assert_close(layer(torch.tensor([[2.0, 3.0]])), layer.weight[[2, 3]].unsqueeze(0))
    assert layer.count_params() == 30


def test_embedding_default_init_is_keras_uniform():
    w = Embedding(1000, 50).weight
    assert w.abs().max().item() <= 0.05
    assert w.var().item() == pytest.approx(0.1 ** 2 / 12, rel=0.05)


def test_embedding_out_of_range_ids_are_explained():
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        Embedding(10, 2)(torch.tensor([[3, 10]]))


def test_mask_zero():
    ids = torch.tensor([[4, 0, 1]])
    assert Embedding(5, 2, mask_zero=True).compute_mask(ids).tolist() == [[True, False, True]]
    assert Embedding(5, 2).compute_mask(ids) is None
