"""Initializer statistics (Keras' formulas) and the per-layer initializer arguments."""

from __future__ import annotations

import math

import pytest
import torch

from glassnet import initializers
from glassnet.errors import UnknownNameError
from glassnet.layers import Conv2D, Dense

SHAPE = (512, 1024)  # (out, in): fan_in 1024, fan_out 512
FAN_IN, FAN_OUT = 1024, 512


def _draw(name, shape=SHAPE):
    return initializers.get(name)(shape)


def test_fans_follow_torch_shapes():
    assert initializers.compute_fans((6, 3, 5, 5)) == (75, 150)
    assert initializers.compute_fans((10, 784)) == (784, 10)


@pytest.mark.parametrize("name,variance", [
    ("he_normal", 2 / FAN_IN), ("he_uniform", 2 / FAN_IN), ("lecun_normal", 1 / FAN_IN),
    ("glorot_normal", 2 / (FAN_IN + FAN_OUT)), ("glorot_uniform", 2 / (FAN_IN + FAN_OUT)),
])
def test_variance_scaling_variances(name, variance):
    w = _draw(name)
    assert w.mean().item() == pytest.approx(0.0, abs=0.01 * math.sqrt(variance))
    assert w.var().item() == pytest.approx(variance, rel=0.02)


def test_uniform_bounds():
    limit = math.sqrt(6 / (FAN_IN + FAN_OUT))
    w = _draw("glorot_uniform")
    assert w.abs().max().item() <= limit and w.abs().max().item() > 0.99 * limit
    w = _draw("he_uniform")
    assert w.abs().max().item() <= math.sqrt(6 / FAN_IN)


def test_truncated_normals_are_cut_at_two_stddevs():
    w = _draw("he_normal")
    stddev = math.sqrt(2 / FAN_IN) / 0.87962566103423978
    assert w.abs().max().item() <= 2 * stddev + 1e-6


def test_conv_fans_include_receptive_field():
    w = initializers.get("he_normal")((64, 32, 3, 3))
    assert w.var().item() == pytest.approx(2 / (32 * 9), rel=0.05)


def test_orthogonal_rows_are_orthonormal():
    w = initializers.get("orthogonal")((64, 128))
    torch.testing.assert_close(w @ w.T, torch.eye(64), atol=1e-5, rtol=0)
    w = initializers.Orthogonal(gain=2.0)((32, 32))
    torch.testing.assert_close(w @ w.T, 4 * torch.eye(32), atol=1e-4, rtol=0)


def test_constants_and_random_defaults():
    assert _draw("zeros", (3,)).tolist() == [0.0] * 3
    assert _draw("ones", (2, 2)).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert initializers.Constant(0.5)((2,)).tolist() == [0.5, 0.5]
    assert _draw("random_normal").std().item() == pytest.approx(0.05, rel=0.02)
    w = _draw("random_uniform")
    assert w.abs().max().item() <= 0.05 and w.var().item() == pytest.approx(0.1 ** 2 / 12, rel=0.02)


def test_seed_makes_draws_reproducible():
    a = initializers.HeNormal(seed=3)((10, 10))
    b = initializers.HeNormal(seed=3)((10, 10))
    torch.testing.assert_close(a, b)


def test_names_are_case_and_underscore_insensitive():
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    assert isinstance(initializers.get("glorot-uniform"), initializers.GlorotUniform)


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        initializers.get("he_normall")
    message = str(info.value)
    assert "he_normall" in message and "glorot_uniform" in message and "Did you mean 'he_normal'" in message
    with pytest.raises(UnknownNameError):
        Dense(3, kernel_initializer="nope")


def test_layer_defaults_are_glorot_uniform_and_zeros():
    layer = Dense(256, input_dim=512)
    assert layer.weight.abs().max().item() <= math.sqrt(6 / (512 + 256))
    assert layer.weight.var().item() == pytest.approx(2 / (512 + 256), rel=0.05)
    assert layer.bias.abs().max().item() == 0.0


def test_per_layer_initializer_arguments():
    layer = Dense(256, kernel_initializer="he_normal", bias_initializer="ones", input_dim=1024)
    assert layer.weight.var().item() == pytest.approx(2 / 1024, rel=0.05)
    assert layer.bias.tolist() == [1.0] * 256
    conv = Conv2D(64, 3, kernel_initializer=initializers.Constant(0.1), bias_initializer="zeros")
    conv(torch.zeros(1, 8, 5, 5))
    assert conv.weight.unique().tolist() == pytest.approx([0.1])
    assert conv.get_config()["kernel_initializer"] == {"class_name": "constant", "config": {"value": 0.1}}


@pytest.mark.parametrize("init", [initializers.Constant(0.5), initializers.Zeros(), initializers.Ones(),
                                  initializers.HeNormal(seed=1), initializers.RandomNormal(0.0, 0.1, seed=2),
                                  initializers.VarianceScaling(2.0, "fan_out", "uniform"),
                                  initializers.Orthogonal(gain=0.5)])
def test_serialized_initializers_rebuild(init):
    rebuilt = initializers.get(initializers.serialize(init))
    assert type(rebuilt) is type(init) and rebuilt.get_config() == init.get_config()
