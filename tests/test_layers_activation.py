"""Activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax) against torch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from glassnet import initializers
from glassnet.layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from layers_support import assert_same_values_and_grads, data_format, model_layout  # noqa: F401


def keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras' documented formula, written out."""
    y = torch.where(x >= threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else torch.where(x >= max_value, torch.full_like(x, max_value), y)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 6.0}, {"negative_slope": 0.1},
                                    {"threshold": 0.5}, {"negative_slope": 0.2, "threshold": -0.3, "max_value": 1.0}])
def test_relu_variants_match_keras_formula(kwargs):
    x = torch.randn(200) * 4
    assert_same_values_and_grads(ReLU(**kwargs), lambda t: keras_relu(t, **kwargs), x)


def test_relu6_matches_torch():
    x = torch.randn(100) * 5
    assert_same_values_and_grads(ReLU(6.0), F.relu6, x)


def test_leaky_relu_default_slope_is_keras_03():
    x = torch.randn(50)
    assert LeakyReLU().negative_slope == pytest.approx(0.3)
    assert_same_values_and_grads(LeakyReLU(), nn.LeakyReLU(0.3), x)
    assert_same_values_and_grads(LeakyReLU(alpha=0.2), nn.LeakyReLU(0.2), x)


def test_elu_matches_torch():
    x = torch.randn(50)
    assert_same_values_and_grads(ELU(0.7), nn.ELU(0.7), x)


def test_prelu_per_channel_matches_torch(data_format):
    layer = PReLU(alpha_initializer=initializers.Constant(0.25), shared_axes=[1, 2] if data_format ==
                  "channels_last" else [2, 3])
    x = torch.randn(2, 3, 4, 4)
    layer(model_layout(x))
    assert layer.count_params() == 3
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([0.1, 0.2, 0.3]).view(3, 1, 1))
    ref = nn.PReLU(3)
    with torch.no_grad():
        ref.weight.copy_(layer.weight.flatten())
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x)


def test_prelu_unshared_has_one_slope_per_cell():
    layer = PReLU()
    layer(torch.zeros(2, 5, 3))
    assert layer.count_params() == 15


def test_softmax_axis_is_mapped(data_format):
    x = torch.randn(2, 3, 4, 5)
    y = Softmax()(model_layout(x))
    dim = 1 if data_format == "channels_last" else 3
    assert_same_values_and_grads(lambda t: Softmax()(model_layout(t)), lambda t: torch.softmax(t, dim), x)
    torch.testing.assert_close(y.sum(dim), torch.ones(2, 4, 5) if dim == 1 else torch.ones(2, 3, 4))


def test_softmax_known_values_and_multi_axis():
    y = Softmax()(torch.tensor([3.0, -2.0, 6.0]))
    assert [round(v, 4) for v in y.tolist()] == [0.0474, 0.0003, 0.9523]
    x = torch.randn(2, 3, 4)
    y = Softmax(axis=[1, 2])(x)
    torch.testing.assert_close(y, torch.softmax(x.flatten(1), 1).reshape(2, 3, 4))
