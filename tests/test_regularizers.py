"""Regularizers: Keras' formulas, layer arguments, layer/model ``losses``, the loss fit reports, saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as keras
from glassnet import regularizers
from glassnet.layers import Conv2D, Dense, Embedding, Layer, SeparableConv2D


def test_formulas_are_keras():
    w = torch.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert regularizers.L2()(w).item() == pytest.approx(0.01 * 14.25)  # 0.01 * sum(w**2), no 1/2
    assert regularizers.L1(0.1)(w).item() == pytest.approx(0.1 * 6.5)
    assert regularizers.l1_l2(l1=0.1, l2=0.2)(w).item() == pytest.approx(0.1 * 6.5 + 0.2 * 14.25)
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get("L1").l1 == 0.01


def test_get_by_name_object_config_and_errors():
    reg = regularizers.L2(0.5)
    assert regularizers.get(reg) is reg
    rebuilt = regularizers.get(regularizers.serialize(regularizers.L1L2(0.1, 0.2)))
    assert isinstance(rebuilt, regularizers.L1L2) and rebuilt.get_config() == {"l1": 0.1, "l2": 0.2}
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'. Valid names: l1, l1_l2, l2, orthogonal_regularizer"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        regularizers.L2(-1)


@pytest.mark.parametrize("make,keys", [
    (lambda: Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.l1(0.5)), ["weight", "bias"]),
    (lambda: Conv2D(2, 3, kernel_regularizer=regularizers.l2(0.1)), ["weight"]),
    (lambda: SeparableConv2D(2, 3, depthwise_regularizer="l1", pointwise_regularizer="l2"),
     ["depthwise_weight", "pointwise_weight"]),
])
def test_layer_losses_are_the_hand_computed_penalties(make, keys):
    layer = make()
    layer(torch.ones(1, 3, 5, 5) if not isinstance(layer, Dense) else torch.ones(2, 4))
    expected = [layer._regularizers[k](getattr(layer, k)) for k in keys]
    assert [t.item() for t in layer.losses] == pytest.approx([t.item() for t in expected])


def test_embedding_regularizer():
    layer = Embedding(5, 2, embeddings_regularizer=regularizers.L2(0.1))
    assert layer.losses[0].item() == pytest.approx(0.1 * float((layer.weight.detach() ** 2).sum()))


def test_activity_regularizer_and_add_loss_are_from_the_last_call():
    layer = Dense(2, kernel_initializer="ones", activity_regularizer=regularizers.L1(0.1))
    layer(torch.ones(1, 3))
    assert [t.item() for t in layer.losses] == pytest.approx([0.1 * 6.0])  # outputs [3, 3]
    layer(torch.zeros(1, 3))
    assert [t.item() for t in layer.losses] == pytest.approx([0.0])  # replaced, not accumulated


def test_model_losses_collect_sublayers_and_fit_adds_them():
    torch.manual_seed(0)
    x, y = np.random.default_rng(0).normal(size=(16, 4)).astype("float32"), np.zeros((16, 1), "float32")
    model = keras.Sequential([keras.Input((4,)), Dense(3, kernel_regularizer=regularizers.L2(0.5)),
                              Dense(1, kernel_regularizer="l1")])
    assert len(model.losses) == 2
    first, second = model.layers[-2:]
    with torch.no_grad():
        penalty = 0.5 * float((first.weight ** 2).sum()) + 0.01 * float(second.weight.abs().sum())
    assert sum(t.item() for t in model.losses) == pytest.approx(penalty, rel=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    mse = float(((model.predict(x, verbose=0) - y) ** 2).mean())
    assert model.evaluate(x, y, verbose=0) == pytest.approx(mse + penalty, rel=1e-4)


def test_custom_layer_add_loss_trains_it_down():
    class Shrink(Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones")

        def call(self, x):
            self.add_loss(torch.sum(self.w ** 2))
            return x * self.w

    model = keras.Sequential([keras.Input((2,)), Shrink()])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.zeros((8, 2), "float32")
    history = model.fit(x, x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][0] == pytest.approx(2.0)  # mse 0 + sum(w**2) = 2
    assert history.history["loss"][-1] < 2.0


def test_regularizers_survive_save_and_load(tmp_path):
    model = keras.Sequential([keras.Input((3,)), Dense(2, kernel_regularizer=regularizers.L1L2(0.1, 0.2),
                                                       activity_regularizer="l2")])
    model.compile(loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    dense = loaded.layers[-1]
    assert dense.kernel_regularizer.get_config() == {"l1": 0.1, "l2": 0.2}
    assert isinstance(dense.activity_regularizer, regularizers.L2)
    assert [t.item() for t in loaded.losses] == pytest.approx([t.item() for t in model.losses])


def test_custom_regularizer_subclass_round_trips():
    class Offset(regularizers.Regularizer):
        def __init__(self, target=1.0):
            self.target = target

        def __call__(self, w):
            return ((w - self.target) ** 2).sum()

        def get_config(self):
            return {"target": self.target}

    layer = Dense(2, input_dim=2, kernel_regularizer=Offset(3.0))
    rebuilt = Dense.from_config(layer.get_config())
    assert isinstance(rebuilt.kernel_regularizer, Offset) and rebuilt.kernel_regularizer.target == 3.0


def test_regularizers_see_the_kernel_in_keras_layout():
    """A layout-dependent penalty (orthogonality of a Dense kernel's columns = its units) gets Keras' (in, units)."""
    layer = Dense(3, input_dim=4, kernel_regularizer=regularizers.OrthogonalRegularizer(1.0, mode="columns"))
    kernel = layer.weight.detach().t().numpy()  # Keras' (in, units)
    columns = kernel / np.linalg.norm(kernel, axis=0, keepdims=True)
    product = columns.T @ columns
    expected = 0.5 * np.abs(product - np.diag(np.diag(product))).sum() / 3.0
    assert layer.losses[0].item() == pytest.approx(expected, rel=1e-5)


def test_add_loss_of_a_symbolic_tensor_is_explained():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, Dense(2)(inputs))
    with pytest.raises(TypeError, match="inside a layer's call"):
        model.add_loss(inputs)
