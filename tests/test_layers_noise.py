"""GaussianNoise / GaussianDropout: Keras' formulas while training, identity otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet.layers import Dense, Input
from glassnet.layers.noise import GaussianDropout, GaussianNoise
from glassnet.models import Sequential


def test_gaussian_noise_adds_noise_of_the_given_std_only_in_training():
    layer = GaussianNoise(0.3, seed=3)
    x = torch.full((200_000,), 2.0)
    noisy = layer(x, training=True)
    assert abs((noisy - x).mean().item()) < 0.005 and (noisy - x).std().item() == pytest.approx(0.3, rel=0.01)
    assert torch.equal(layer(x, training=False), x)
    assert torch.equal(layer.eval()(x), x)
    same_seed = GaussianNoise(0.3, seed=3)(x, training=True)  # the layer's own generator: reproducible
    assert torch.equal(same_seed, noisy)


def test_gaussian_dropout_multiplies_by_unit_mean_noise_with_keras_std():
    rate = 0.2
    noisy = GaussianDropout(rate, seed=0)(torch.ones(200_000), training=True)
    assert noisy.mean().item() == pytest.approx(1.0, abs=0.01)
    assert noisy.std().item() == pytest.approx(np.sqrt(rate / (1 - rate)), rel=0.01)
    assert torch.equal(GaussianDropout(rate).eval()(torch.ones(3)), torch.ones(3))


def test_noise_is_on_during_fit_and_off_in_predict():
    model = Sequential([Input(shape=(4,)), GaussianNoise(1.0, seed=0), Dense(1, kernel_initializer="ones",
                                                                             use_bias=False)])
    x = np.ones((8, 4), "float32")
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, 4.0)
    model.train()
    assert not torch.allclose(model(torch.as_tensor(x)), torch.full((8, 1), 4.0))


def test_bad_arguments_say_what_is_expected():
    with pytest.raises(ValueError, match="stddev must be >= 0"):
        GaussianNoise(-0.1)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        GaussianDropout(1.0)
