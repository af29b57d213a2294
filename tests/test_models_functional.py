"""The functional API: several inputs and outputs, shared layers, DAGs, nested models, subclassing."""

import numpy as np
import pytest
import torch

from glassnet.layers import Add, Concatenate, Conv2D, Dense, Flatten, GlobalAveragePooling2D, Input
from glassnet.models import Model, Sequential, load_model


def test_multi_input_multi_output_with_loss_dict_and_weights():
    image, meta = Input(shape=(8, 8, 1), name="image"), Input(shape=(4,), name="meta")
    features = Concatenate()([Flatten()(Conv2D(2, 3)(image)), Dense(4, activation="relu")(meta)])
    kind = Dense(3, activation="softmax", name="kind")(features)
    size = Dense(1, name="size")(features)
    model = Model(inputs=[image, meta], outputs=[kind, size])
    model.compile(optimizer="adam", loss={"kind": "sparse_categorical_crossentropy", "size": "mse"},
                  loss_weights={"kind": 1.0, "size": 0.5}, metrics={"kind": ["accuracy"]})
    rng = np.random.RandomState(0)
    x = [rng.rand(32, 8, 8, 1).astype("float32"), rng.rand(32, 4).astype("float32")]
    y = [rng.randint(0, 3, 32), rng.rand(32, 1).astype("float32")]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert set(history.history) == {"loss", "kind_accuracy"}
    kind_pred, size_pred = model.predict(x, verbose=0)
    assert kind_pred.shape == (32, 3) and size_pred.shape == (32, 1)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = (torch.nn.functional.nll_loss(torch.tensor(kind_pred).log(), torch.tensor(y[1 - 1]).long())
                + 0.5 * torch.nn.functional.mse_loss(torch.tensor(size_pred), torch.tensor(y[1])))
    assert logs["loss"] == pytest.approx(float(expected), rel=1e-4)


def test_inputs_by_name_as_a_dict():
    a, b = Input(shape=(2,), name="a"), Input(shape=(3,), name="b")
    model = Model(inputs={"a": a, "b": b}, outputs=Dense(1)(Concatenate()([a, b])))
    out = model.predict({"a": np.ones((4, 2), "float32"), "b": np.ones((4, 3), "float32")}, verbose=0)
    assert out.shape == (4, 1)


def test_shared_layer_is_one_set_of_weights():
    a, b = Input(shape=(5,)), Input(shape=(5,))
    shared = Dense(3)
    model = Model(inputs=[a, b], outputs=Add()([shared(a), shared(b)]))
    assert model.count_params() == 18
    x = np.random.rand(2, 5).astype("float32")
    out = model.predict([x, x], verbose=0)
    np.testing.assert_allclose(out, 2 * (x @ shared.weight.detach().numpy().T + shared.bias.detach().numpy()),
                               rtol=1e-5)


def test_residual_dag_and_nested_model_keep_one_layout_conversion():
    inputs = Input(shape=(8, 8, 3))
    x = Conv2D(4, 3, padding="same")(inputs)
    x = Add()([x, Conv2D(4, 1)(inputs)])
    block = Model(inputs, x, name="block")
    outer_in = Input(shape=(8, 8, 3))
    outer = Model(outer_in, Dense(2)(GlobalAveragePooling2D()(block(outer_in))))
    assert outer.predict(np.zeros((3, 8, 8, 3), "float32"), verbose=0).shape == (3, 2)
    # image-shaped outputs come back in the user's (N, H, W, C) layout
    assert block.predict(np.zeros((3, 8, 8, 3), "float32"), verbose=0).shape == (3, 8, 8, 4)


def test_images_are_converted_once_to_channels_last_memory():
    seen = {}
    model = Sequential([Input(shape=(6, 6, 3)), Conv2D(2, 3)])
    model.layers[0].register_forward_pre_hook(lambda mod, args: seen.update(x=args[0]))
    model(torch.rand(1, 6, 6, 3))
    assert seen["x"].shape == (1, 3, 6, 6)
    assert seen["x"].is_contiguous(memory_format=torch.channels_last)


def test_subclassed_model_trains_and_saves(tmp_path):
    class TwoLayer(Model):
        def __init__(self, hidden=8, **kwargs):
            super().__init__(**kwargs)
            self.hidden = Dense(hidden, activation="relu")
            self.out = Dense(2, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoLayer(hidden=6)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = np.random.rand(16, 3).astype("float32"), np.random.randint(0, 2, 16)
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "sub.glassnet")
    restored = load_model(tmp_path / "sub.glassnet")
    assert type(restored) is TwoLayer and restored.hidden.units == 6
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_subclass_without_call_says_what_to_do():
    with pytest.raises(NotImplementedError, match="defines no call"):
        Model()(torch.zeros(1, 2))


def test_summary_shows_user_layout_shapes_params_and_flops():
    model = Sequential([Input(shape=(28, 28, 1)), Conv2D(6, 5, name="c1"), Flatten(), Dense(10, name="fc")])
    text = model.summary(print_fn=lambda s: None)
    assert "(None, 24, 24, 6)" in text and "(None, 3456)" in text
    assert "156" in text and "34,570" in text
    assert "Total params: 34,726" in text
    conv_flops = 2 * 24 * 24 * 6 * 5 * 5  # multiply-adds x 2 (bias excluded, as PyTorch counts)
    dense_flops = 2 * 3456 * 10
    assert f"Forward FLOPs per sample: {(conv_flops + dense_flops) / 1e3:.2f}K" in text


def test_summary_splits_trainable_and_frozen():
    model = Sequential([Input(shape=(4,)), Dense(3), Dense(2)])
    model.layers[0].trainable = False
    text = model.summary(print_fn=lambda s: None)
    assert "Trainable params: 8" in text and "Non-trainable params: 15" in text


# ---------------------------------------------------------------- introspection (layer.input / layer.output)
def test_layer_input_and_output_are_the_symbolic_tensors_of_the_first_call():
    inputs = Input(shape=(4,), name="x")
    hidden = Dense(3, name="hidden")
    h = hidden(inputs)
    outputs = Dense(2)(h)
    model = Model(inputs, outputs)
    assert hidden.input is inputs and hidden.output is h
    assert model.input is inputs and model.output is outputs
    assert model.inputs == [inputs] and model.outputs == [outputs]
    # Keras 3: a functional model lists its InputLayer first; Sequential does not
    assert [layer.name for layer in model.layers] == ["x", "hidden", "dense"]
    assert model.get_layer(index=0).input is inputs and model.get_layer("x").output is inputs


def test_feature_extractor_from_a_functional_model_shares_weights():
    inputs = Input(shape=(6, 6, 1))
    features = Conv2D(3, 3, name="conv")(inputs)
    model = Model(inputs, Dense(2)(Flatten()(features)))
    extractor = Model(model.input, model.get_layer("conv").output)
    x = np.random.default_rng(0).random((2, 6, 6, 1)).astype("float32")
    conv = model.get_layer("conv")
    expected = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), conv.weight, conv.bias)
    np.testing.assert_allclose(extractor.predict(x, verbose=0), expected.permute(0, 2, 3, 1).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert extractor.get_layer("conv") is conv


def test_feature_extractor_from_a_sequential_with_input_lists_every_layer_output():
    model = Sequential([Input(shape=(5,)), Dense(4, activation="relu", name="a"), Dense(3, name="b"), Dense(1)])
    assert [layer.name for layer in model.layers] == ["a", "b", "dense"]  # no InputLayer, as in Keras 3
    extractor = Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(1).random((3, 5)).astype("float32")
    a, b, out = extractor.predict(x, verbose=0)
    np.testing.assert_allclose(out, model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(a, np.maximum(x @ model.layers[0].weight.detach().numpy().T
                                             + model.layers[0].bias.detach().numpy(), 0), rtol=1e-5, atol=1e-6)
    assert b.shape == (3, 3)


def test_feature_extractor_from_a_zoo_model_taps_a_layer_inside_it():
    from glassnet.applications import ResNet18
    base = ResNet18(input_shape=(32, 32, 3), classes=10)
    pooled = Model(base.input, base.get_layer("global_pool").output)
    assert pooled.output.shape == (None, 512)
    x = np.random.default_rng(2).random((2, 32, 32, 3)).astype("float32")
    with torch.no_grad():
        base.eval()
        expected = base.forward_head(base.forward_features(torch.tensor(x).permute(0, 3, 1, 2)), pre_logits=True)
    np.testing.assert_allclose(pooled.predict(x, verbose=0), expected.numpy(), rtol=1e-5, atol=1e-6)
    assert pooled.count_params() == base.count_params()  # the same weights, shared
    assert base.get_layer("fc").input.shape == (None, 512)


def test_sequential_gets_its_input_from_build_or_the_first_call():
    built = Sequential([Dense(2), Dense(3)])
    built.build((None, 5))
    assert built.input.shape == (None, 5) and built.output.shape == (None, 3)
    called = Sequential([Dense(2)])
    called(np.ones((1, 4)))
    assert called.input.shape == (None, 4) and called.layers[0].output.shape == (None, 2)


def test_output_of_a_layer_never_called_symbolically_says_what_to_do():
    from glassnet.errors import NotBuiltError
    with pytest.raises(NotBuiltError, match="never been called on symbolic inputs"):
        Dense(2).output
    with pytest.raises(NotBuiltError, match=r"model.build\(\(None, ...\)\)"):
        Sequential([Dense(2)]).input


# ---------------------------------------------------------------- variable sizes: Input(shape=(None, ...))
def test_variable_length_sequences_run_and_show_none():
    inputs = Input(shape=(None, 6))
    outputs = Dense(2)(Dense(4, activation="relu")(inputs))
    assert outputs.shape == (None, None, 2)
    model = Model(inputs, outputs)
    for steps in (3, 11):
        assert model.predict(np.ones((2, steps, 6), "float32"), verbose=0).shape == (2, steps, 2)


def test_variable_size_images_down_to_a_fixed_vector():
    inputs = Input(shape=(None, None, 3))
    x = Conv2D(4, 3, strides=2, padding="same")(inputs)
    assert x.shape == (None, None, None, 4)
    pooled = GlobalAveragePooling2D()(x)
    assert pooled.shape == (None, 4)
    model = Model(inputs, Dense(2)(pooled))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 20, 12, 3), "float32"), np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    assert model.predict(np.zeros((1, 7, 9, 3), "float32"), verbose=0).shape == (1, 2)


def test_variable_length_model_saves_and_loads(tmp_path):
    inputs = Input(shape=(None, 3))
    model = Model(inputs, Dense(2)(inputs))
    model.save(tmp_path / "v.glassnet")
    restored = load_model(tmp_path / "v.glassnet")
    x = np.random.default_rng(3).random((2, 5, 3)).astype("float32")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.input.shape == (None, None, 3)
