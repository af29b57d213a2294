"""Constraints: Keras' formulas, applied in Keras' layout after each optimizer step, saved with the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as keras
from glassnet import constraints
from glassnet.layers import Conv2D, Dense, DepthwiseConv2D


def keras_max_norm(w, max_value, axis):
    norms = np.sqrt(np.sum(w ** 2, axis=axis, keepdims=True))
    return w * (np.clip(norms, 0, max_value) / (1e-7 + norms))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_max_norm_formula(axis):
    w = np.random.default_rng(0).normal(size=(4, 3)).astype("float32") * 3
    np.testing.assert_allclose(constraints.MaxNorm(1.5, axis)(torch.from_numpy(w)).numpy(),
                               keras_max_norm(w, 1.5, tuple(axis) if isinstance(axis, list) else axis), rtol=1e-5)


def test_other_formulas():
    w = torch.tensor([[3.0, -1.0], [4.0, 0.0]])
    assert constraints.NonNeg()(w).tolist() == [[3.0, 0.0], [4.0, 0.0]]
    torch.testing.assert_close(constraints.UnitNorm()(w).norm(dim=0)[:1], torch.ones(1))
    mm = constraints.MinMaxNorm(min_value=6.0, max_value=7.0, rate=0.5)(w)
    torch.testing.assert_close(mm[:, 0].norm(), torch.tensor(0.5 * 6.0 + 0.5 * 5.0))
    assert type(constraints.get("max_norm")) is constraints.MaxNorm


def test_dense_max_norm_is_per_unit_in_keras_layout():
    layer = Dense(3, input_dim=4, kernel_initializer="ones", kernel_constraint=constraints.max_norm(1.0))
    assert layer.apply_constraints() == 1
    # Keras' axis=0 of the (in, units) kernel: each unit's 4 incoming weights get norm 1
    torch.testing.assert_close(layer.weight.norm(dim=1), torch.ones(3))


@pytest.mark.parametrize("layer,shape", [
    (Conv2D(2, 3, kernel_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2])), (1, 3, 5, 5)),
    (DepthwiseConv2D(3, depth_multiplier=2, depthwise_constraint="non_neg"), (1, 3, 5, 5)),
])
def test_conv_constraints_match_keras_layout(layer, shape):
    layer(torch.randn(shape))
    keras_kernel = layer.get_weights()[0]
    constraint = next(iter(layer._constraints.values()))
    expected = constraint(torch.from_numpy(keras_kernel)).numpy()
    constraints.apply_all(layer)
    np.testing.assert_allclose(layer.get_weights()[0], expected, rtol=1e-5, atol=1e-7)


def test_fit_applies_constraints_after_each_step():
    torch.manual_seed(0)
    model = keras.Sequential([keras.Input((4,)), Dense(8, kernel_constraint="non_neg", bias_constraint="non_neg"),
                              Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    model.fit(x, -np.ones((32, 1), "float32") * 5, epochs=2, batch_size=8, verbose=0)
    first = model.layers[-2]
    assert (first.weight >= 0).all() and (first.bias >= 0).all()
    assert (first.weight > 0).any()


def test_constraints_survive_save_and_load(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Dense(2, kernel_constraint=constraints.MaxNorm(2.5, axis=1))])
    model.compile(loss="mse")
    model.save(tmp_path / "m.keras")
    dense = keras.models.load_model(tmp_path / "m.keras").layers[-1]
    assert isinstance(dense.kernel_constraint, constraints.MaxNorm)
    assert dense.kernel_constraint.get_config() == {"max_value": 2.5, "axis": 1}
    assert dense._constraints["weight"] is dense.kernel_constraint
