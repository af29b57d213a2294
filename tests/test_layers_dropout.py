"""Dropout, its shared masks (noise_shape), SpatialDropout1D/2D/3D and the ``seed`` of the dropout layers
and of the recurrent layers' dropout."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import ShapeError
from glassnet.layers import (GRU, LSTM, Dropout, Input, SimpleRNN, SpatialDropout1D, SpatialDropout2D,
                             SpatialDropout3D)
from layers_support import data_format, internal  # noqa: F401


def test_dropout_scales_in_training_and_is_identity_in_eval():
    layer = Dropout(0.5)
    x = torch.ones(10_000)
    y = layer.train()(x)
    assert set(y.unique().tolist()) == {0.0, 2.0}
    assert (y == 0).float().mean().item() == pytest.approx(0.5, abs=0.03)
    torch.testing.assert_close(layer.eval()(x), x)
    with pytest.raises(ValueError):
        Dropout(1.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_dropout_zeroes_about_rate_and_keeps_the_expected_value(dtype):
    layer = Dropout(0.3).train()
    out = layer(torch.ones(200_000, dtype=dtype)).float()
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01
    assert abs(out.mean().item() - 1.0) < 0.02
    assert torch.equal(layer.eval()(torch.ones(5, dtype=dtype)), torch.ones(5, dtype=dtype))


def test_noise_shape_shares_one_mask_along_the_axes_set_to_one():
    x = torch.ones(64, 10, 32)  # (batch, steps, features)
    y = Dropout(0.4, noise_shape=(None, 1, None))(x, training=True)
    assert torch.equal(y, y[:, :1].expand_as(y))  # the same features dropped at every step
    assert (y[:, 0] == 0).float().mean().item() == pytest.approx(0.4, abs=0.05)
    assert y.unique().tolist() == pytest.approx([0.0, 1 / 0.6])


def test_noise_shape_names_axes_in_the_users_image_layout(data_format):
    user = (8, 5, 5, 3) if data_format == "channels_last" else (8, 3, 5, 5)
    noise = (None, 1, 1, 3) if data_format == "channels_last" else (None, 3, 1, 1)
    y = Dropout(0.5, noise_shape=noise, seed=0)(internal(torch.ones(user)), training=True)
    assert torch.equal(y, y[:, :, :1, :1].expand_as(y))  # internally NCHW: one draw per (sample, channel)


def test_noise_shape_that_does_not_fit_the_input_says_so():
    with pytest.raises(ShapeError, match="one entry per input axis"):
        Dropout(0.5, noise_shape=(None, 1))(torch.ones(2, 3, 4), training=True)
    with pytest.raises(ShapeError, match=r"must be 1, None or the input's size"):
        Dropout(0.5, noise_shape=(None, 2, 4))(torch.ones(2, 3, 4), training=True)


@pytest.mark.parametrize("layer, shape, shared", [
    (SpatialDropout1D, (16, 7, 40), (1,)),          # (batch, steps, features): shared over steps
    (SpatialDropout2D, (16, 6, 6, 40), (1, 2)),     # (N, H, W, C): shared over H, W
    (SpatialDropout3D, (16, 3, 4, 4, 40), (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_channels_as_torch_dropout2d_does(layer, shape, shared):
    model = glassnet.Sequential([Input(shape[1:]), layer(0.3, seed=1)])
    y = model(torch.ones(shape), training=True)
    per_channel = y.amax(dim=shared)
    assert torch.equal(y, per_channel.reshape(y.shape[0], *([1] * len(shared)), y.shape[-1]).expand_as(y))
    assert (per_channel == 0).float().mean().item() == pytest.approx(0.3, abs=0.05)
    assert y.mean().item() == pytest.approx(1.0, abs=0.1)  # expectation kept, as torch's Dropout2d
    torch.testing.assert_close(model(torch.ones(shape), training=False), torch.ones(shape))


def test_spatial_dropout_2d_drops_channels_in_either_image_format(data_format):
    shape = (8, 6, 6, 4) if data_format == "channels_last" else (8, 4, 6, 6)
    model = glassnet.Sequential([Input(shape[1:]), SpatialDropout2D(0.5, data_format, seed=3)])
    y = model(torch.ones(shape), training=True)
    per_channel = y[:, :1, :1, :] if data_format == "channels_last" else y[:, :, :1, :1]
    assert torch.equal(y, per_channel.expand_as(y))  # one draw per (sample, channel)
    assert model.layers[-1].get_config()["data_format"] == data_format


def test_spatial_dropout_needs_its_rank():
    with pytest.raises(ShapeError, match=r"SpatialDropout2D .* takes \(batch, 2 spatial axes, channels\)"):
        SpatialDropout2D(0.5)(torch.ones(4, 5, 6), training=True)


def test_a_seed_repeats_the_masks_whatever_the_global_generator_does():
    x = torch.ones(4, 100)
    torch.manual_seed(0)
    first = Dropout(0.5, seed=7)(x, training=True)
    torch.manual_seed(123)
    torch.rand(10)
    assert torch.equal(first, Dropout(0.5, seed=7)(x, training=True))
    assert not torch.equal(first, Dropout(0.5, seed=8)(x, training=True))
    layer = Dropout(0.5, seed=7)
    assert not torch.equal(layer(x, training=True), layer(x, training=True))  # a stream: new masks each call


def test_without_a_seed_the_masks_follow_set_random_seed():
    x = torch.ones(4, 100)
    glassnet.utils.set_random_seed(3)
    first = Dropout(0.5)(x, training=True)
    glassnet.utils.set_random_seed(3)
    assert torch.equal(first, Dropout(0.5)(x, training=True))


@pytest.mark.parametrize("layer", [SimpleRNN, LSTM, GRU])
def test_recurrent_dropout_masks_follow_the_layers_seed(layer):
    x = torch.randn(3, 5, 4)
    torch.manual_seed(0)
    first = layer(6, dropout=0.5, recurrent_dropout=0.3, seed=11)
    second = layer(6, dropout=0.5, recurrent_dropout=0.3, seed=11)
    first(x)
    second(x)
    second.load_state_dict(first.state_dict())
    torch.manual_seed(99)
    torch.rand(10)
    torch.testing.assert_close(first(x, training=True), second(x, training=True))
    other = layer(6, dropout=0.5, recurrent_dropout=0.3, seed=12)
    other(x)
    other.load_state_dict(first.state_dict())
    assert not torch.allclose(other(x, training=True), second(x, training=True))


def test_seeded_dropout_layers_save_and_load_with_their_settings(tmp_path):
    model = glassnet.Sequential([Input((6, 4)), SpatialDropout1D(0.2, seed=5), LSTM(3, dropout=0.1, seed=2),
                                 Dropout(0.3, noise_shape=(None, 1), seed=4)])
    model.save(tmp_path / "m.keras")
    loaded = glassnet.models.load_model(tmp_path / "m.keras")
    spatial, recurrent, dropout = loaded.layers[-3:]
    assert (spatial.rate, spatial.get_config()["seed"]) == (0.2, 5)
    assert recurrent.get_config()["seed"] == 2 and list(dropout.get_config()["noise_shape"]) == [None, 1]
    x = np.ones((2, 6, 4), dtype="float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
