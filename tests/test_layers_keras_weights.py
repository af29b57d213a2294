"""get_weights()/set_weights() speak Keras' layouts and order; state_dict() stays torch's; add_weight and
Variable behave as in Keras."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as keras
from glassnet.applications import keras_h5
from glassnet.errors import ShapeError
from glassnet.layers import (BatchNormalization, Conv1D, Conv2D, Conv2DTranspose, Conv3D, Dense, DepthwiseConv2D,
                             Embedding, Layer, SeparableConv2D)
from glassnet.variables import Variable

# Keras 3's documented weight shapes for each layer (inputs: 3 channels, 2x-spatial kernels as given)
CASES = [
    (lambda: Dense(5), (2, 4), [(4, 5), (5,)]),
    (lambda: Conv1D(6, 3), (1, 10, 4), [(3, 4, 6), (6,)]),
    (lambda: Conv2D(6, (3, 2)), (1, 3, 8, 8), [(3, 2, 3, 6), (6,)]),
    (lambda: Conv3D(2, 3), (1, 3, 5, 5, 5), [(3, 3, 3, 3, 2), (2,)]),
    (lambda: Conv2DTranspose(6, 3), (1, 3, 8, 8), [(3, 3, 6, 3), (6,)]),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2), (1, 3, 8, 8), [(3, 3, 3, 2), (6,)]),
    (lambda: SeparableConv2D(4, 3, depth_multiplier=2), (1, 3, 8, 8), [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]),
    (lambda: Embedding(7, 3), None, [(7, 3)]),
    (lambda: BatchNormalization(), (2, 3, 4, 4), [(3,), (3,), (3,), (3,)]),
]


@pytest.mark.parametrize("make,input_shape,shapes", CASES)
def test_keras_shapes_and_round_trip(make, input_shape, shapes):
    layer = make()
    if input_shape is not None:
        layer(torch.randn(input_shape))
    weights = layer.get_weights()
    assert [w.shape for w in weights] == shapes
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    fresh = [np.random.default_rng(0).normal(size=w.shape).astype(w.dtype) for w in weights]
    layer.set_weights(fresh)
    assert all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), fresh))
    layer.set_weights(weights)
    assert all(torch.equal(state[k], v) for k, v in layer.state_dict().items())  # torch layout untouched


@pytest.mark.parametrize("make,kind,names", [
    (lambda: Dense(5), "dense", ["kernel", "bias"]),
    (lambda: Conv2D(6, 3), "conv", ["kernel", "bias"]),
    (lambda: DepthwiseConv2D(3, depth_multiplier=2), "depthwise", ["depthwise_kernel", "bias"]),
    (lambda: SeparableConv2D(4, 3, depth_multiplier=2), "separable", ["depthwise_kernel", "pointwise_kernel", "bias"]),
    (lambda: BatchNormalization(), "bn", ["gamma", "beta", "moving_mean", "moving_variance"]),
])
def test_layouts_agree_with_the_keras_h5_reader(make, kind, names):
    """get_weights gives exactly the arrays a Keras .h5 file holds: the .h5 converter maps them back."""
    layer = make()
    layer(torch.randn(2, 4) if kind == "dense" else torch.randn(1, 3, 8, 8))
    converted = keras_h5.convert(kind, dict(zip(names, layer.get_weights())), layer)
    for key, value in converted.items():
        torch.testing.assert_close(value, getattr(layer, key).detach())


def test_model_weights_are_layer_by_layer_in_keras_order():
    model = keras.Sequential([keras.Input((4, 4, 3)), Conv2D(2, 3), BatchNormalization(), keras.layers.Flatten(),
                              Dense(3)])
    assert [w.shape for w in model.get_weights()] == [(3, 3, 3, 2), (2,), (2,), (2,), (2,), (2,), (8, 3), (3,)]
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    x = torch.randn(2, 4, 4, 3)
    torch.testing.assert_close(twin.eval()(x), model.eval()(x))
    with pytest.raises(ShapeError, match="has 8 weights, got 1 arrays"):
        model.set_weights(model.get_weights()[:1])
    with pytest.raises(ShapeError, match=r"Keras shape \(3, 3, 3, 2\)"):
        model.set_weights([np.zeros((2, 3, 3, 3))] + model.get_weights()[1:])


def test_state_dict_stays_torch():
    layer = Dense(5)
    layer(torch.zeros(1, 4))
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == {"weight": (5, 4), "bias": (5,)}
    linear = torch.nn.Linear(4, 5)
    layer.load_state_dict(linear.state_dict())
    torch.testing.assert_close(layer(torch.ones(1, 4)), linear(torch.ones(1, 4)))


def test_add_weight_keras_signature_auto_names_and_variables():
    class Linear(Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)
            self.total = self.add_weight(shape=(self.units,), initializer="zeros", trainable=False)

        def call(self, inputs):
            out = keras.ops.matmul(inputs, self.w) + self.b
            self.total.assign_add(keras.ops.sum(out, axis=0).detach())
            return out

    layer = Linear()
    out = layer(torch.ones(2, 4))
    assert list(layer.state_dict()) == ["w", "b", "total"]
    assert [tuple(w.shape) for w in layer.trainable_weights] == [(4, 3), (3,)]
    assert [tuple(w.shape) for w in layer.non_trainable_weights] == [(3,)]
    assert isinstance(layer.w, Variable) and layer.w.value is layer.w
    torch.testing.assert_close(layer.total, out.sum(0).detach())
    unnamed = Layer()
    v1, v2 = unnamed.add_weight(shape=(1,)), unnamed.add_weight(shape=(2,))
    assert list(dict(unnamed.named_parameters())) == ["variable", "variable_1"]
    assert v1.shape == (1,) and v2.shape == (2,)


def test_variable_api():
    v = keras.Variable(np.array([1.0, 2.0]), trainable=False)
    assert isinstance(v, torch.nn.Parameter) and not v.trainable
    v.assign([3.0, 4.0])
    v.assign_sub(torch.ones(2))
    assert v.numpy().tolist() == [2.0, 3.0] and v.value.tolist() == [2.0, 3.0]
    w = keras.Variable(initializer="ones", shape=(2, 2), name="kernel")
    assert w.requires_grad and w.path == "kernel" and w.sum().item() == 4.0
    with pytest.raises(ValueError, match="needs shape="):
        keras.Variable(initializer="ones")


def test_weight_assigned_over_a_placeholder_attribute():
    class Lazy(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.kernel = None  # Keras code often declares the attribute first

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")

        def call(self, x):
            return x @ self.kernel

    layer = Lazy()
    assert layer(torch.ones(1, 3)).tolist() == [[3.0, 3.0]]
    assert list(layer.state_dict()) == ["kernel"] and layer.count_params() == 6


def test_every_weight_is_a_variable_and_buffers_stay_variables_after_to():
    dense = Dense(2, input_dim=3)
    assert isinstance(dense.weight, Variable) and isinstance(dense.weight, torch.nn.Parameter)
    assert dense.weight.numpy().shape == (2, 3)  # Keras' `for w in model.weights: w.numpy()`
    bn = BatchNormalization()
    bn(torch.ones(2, 3, 4, 4))
    assert isinstance(bn.running_mean, Variable) and type(bn.num_batches_tracked) is torch.Tensor

    class Counter(Layer):
        def build(self, shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.total.assign_add(x.shape[0])
            return x

    layer = Counter()
    layer(torch.ones(3, 1))
    layer.to(torch.float64)  # torch swaps buffers for plain tensors; the Variable API stays
    layer(torch.ones(2, 1, dtype=torch.float64))
    assert isinstance(layer.total, Variable) and layer.total.item() == 5.0 and layer.total.dtype == torch.float64
