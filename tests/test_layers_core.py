"""Core layers (Dense, Activation, Flatten, Input) against torch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from glassnet import Input
from glassnet.errors import ShapeError
from glassnet.layers import Activation, Dense, Flatten
from layers_support import assert_same_values_and_grads, data_format, internal  # noqa: F401


def test_dense_matches_linear_values_and_grads():
    layer = Dense(5, activation="tanh")
    x = torch.randn(4, 7)
    layer(x)
    ref = nn.Linear(7, 5)
    ref.load_state_dict(layer.state_dict(), strict=True)
    assert_same_values_and_grads(layer, lambda t: torch.tanh(ref(t)), x,
                                 [(layer.weight, ref.weight), (layer.bias, ref.bias)])


def test_dense_adds_a_nonzero_bias():
    layer = Dense(3, bias_initializer="ones")
    x = torch.randn(4, 5)
    layer(x)
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([0.5, -2.0, 3.0]))
    expected = x.numpy() @ layer.weight.detach().numpy().T + [0.5, -2.0, 3.0]  # numpy reference
    torch.testing.assert_close(layer(x), torch.from_numpy(expected).float())
    y = layer(x)
    y.sum().backward()
    torch.testing.assert_close(layer.bias.grad, torch.full((3,), 4.0))  # d(sum)/d(bias) = batch size
    unbiased = Dense(3, use_bias=False)
    unbiased(x)
    assert unbiased.bias is None and unbiased.count_params() == 15
    with torch.no_grad():
        unbiased.weight.copy_(layer.weight)
    torch.testing.assert_close(layer(x) - unbiased(x), torch.tensor([0.5, -2.0, 3.0]).expand(4, 3))


def test_dense_applies_to_last_axis_of_sequences():
    layer = Dense(3)
    x = torch.randn(2, 6, 4)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight, layer.bias))


@pytest.mark.parametrize("units,inputs,expected", [(10, 784, 7850), (4704, 3072, 14_455_392), (1, 1, 2)])
def test_dense_parameter_counts(units, inputs, expected):
    assert Dense(units, input_dim=inputs).count_params() == (inputs + 1) * units == expected
    assert Dense(units, use_bias=False, input_dim=inputs).count_params() == inputs * units


def test_dense_on_images_explains_flatten():
    layer = Dense(10)
    layer(torch.zeros(1, 784))
    with pytest.raises(ShapeError, match="Flatten"):
        layer(torch.zeros(1, 1, 28, 28))


def test_activation_layer_matches_functions():
    x = torch.randn(10)
    for name, fn in [("relu", F.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("gelu", F.gelu)]:
        assert_same_values_and_grads(Activation(name), fn, x)


def test_activation_softmax_uses_channels_axis(data_format):
    x_user = torch.randn(2, 3, 4, 5)
    y = Activation("softmax")(internal(x_user))
    dim = 1 if data_format == "channels_last" else 3
    torch.testing.assert_close(y.sum(dim), torch.ones_like(y.sum(dim)))


def test_flatten_order_follows_user_layout(data_format):
    x_user = torch.randn(2, 3, 4, 5)
    y = Flatten()(internal(x_user))
    torch.testing.assert_close(y, x_user.reshape(2, -1))


def test_input_shape_is_user_layout(data_format):
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    assert Input(shape).shape == (None, *shape)

