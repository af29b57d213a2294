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
