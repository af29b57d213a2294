"""keras.saving (register_keras_serializable, save/load, (de)serialize) and keras.models cloning/JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassnet as keras
from glassnet import saving
from glassnet.errors import DataFileError


@saving.register_keras_serializable(package="MyLayers")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


def functional():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer="l2")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(Scale(3.0)(hidden)))


def test_registered_name_and_lookup():
    assert saving.get_registered_name(Scale) == "MyLayers>Scale"
    assert saving.get_registered_name(Scale()) == "MyLayers>Scale"
    assert saving.get_registered_object("MyLayers>Scale") is Scale
    config = saving.serialize_keras_object(Scale(5.0, name="s"))
    assert config["class_name"] == "MyLayers>Scale" and config["config"]["factor"] == 5.0
    assert saving.deserialize_keras_object(config).factor == 5.0


def test_save_and_load_through_keras_saving(tmp_path):
    model = functional()
    model.compile(optimizer="adam", loss="mse")
    saving.save_model(model, tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    x = torch.randn(3, 4)
    torch.testing.assert_close(loaded(x), model(x))
    assert isinstance(loaded.layers[-2], Scale) and loaded.layers[-2].factor == 3.0


@pytest.mark.parametrize("build", [
    functional,
    lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)]),
])
def test_clone_model_has_the_architecture_and_fresh_weights(build):
    torch.manual_seed(0)
    model = build()
    twin = keras.models.clone_model(model)
    assert type(twin) is type(model) and twin is not model
    assert [type(layer) for layer in twin.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in model.get_weights()]
    assert not all(np.array_equal(a, b) for a, b in zip(twin.get_weights(), model.get_weights()))
    twin.set_weights(model.get_weights())
    x = torch.randn(2, 4)
    torch.testing.assert_close(twin(x), model(x))


def test_clone_function_replaces_layers():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)])
    twin = keras.models.clone_model(
        model, clone_function=lambda layer: keras.layers.Dropout(0.1) if isinstance(layer, keras.layers.Dropout)
        else type(layer).from_config(layer.get_config()))
    assert twin.layers[-1].rate == 0.1 and twin.count_params() == model.count_params()


def test_to_json_and_model_from_json():
    model = functional()
    text = model.to_json()
    spec = json.loads(text)
    assert spec["class_name"] == "Model" and spec["backend"] == "torch"
    rebuilt = keras.models.model_from_json(text)
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    assert rebuilt.layers[-2].factor == 3.0 and rebuilt.get_layer(model.layers[1].name).kernel_regularizer.l2 == 0.01
    with pytest.raises(DataFileError, match="not JSON"):
        keras.models.model_from_json("{not json")
    with pytest.raises(DataFileError, match="no 'class_name'"):
        keras.models.model_from_json("[]")


def test_custom_object_scope_loads_a_class_saved_under_a_plain_name(tmp_path):
    class Shift(keras.layers.Layer):
        def call(self, x):
            return x + 1

    config = {"class_name": "ShiftByOne", "config": {"name": "shift"}}
    with pytest.raises(ValueError, match="Unknown layer or model class 'ShiftByOne'"):
        saving.deserialize_keras_object(config)
    with saving.custom_object_scope({"ShiftByOne": Shift}):
        layer = saving.deserialize_keras_object(config)
    assert isinstance(layer, Shift) and saving.get_custom_objects()["ShiftByOne"] is Shift
