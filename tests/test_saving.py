"""Saving and loading: architecture as JSON, weights as safetensors, no pickle, atomic writes."""

import json
import zipfile

import numpy as np
import pytest
import torch

from glassnet import errors
from glassnet.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from glassnet.layers import (BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D,
                             Concatenate)
from glassnet.models import Model, Sequential, load_model


def _convnet():
    return Sequential([Input(shape=(8, 8, 1)), Conv2D(4, 3, activation="relu"), BatchNormalization(),
                       MaxPooling2D(2), Flatten(), Dropout(0.3), Dense(3, activation="softmax")])


def _functional():
    a, b = Input(shape=(5,), name="a"), Input(shape=(3,), name="b")
    shared = Dense(4, activation="tanh", name="shared")
    merged = Concatenate()([shared(a), Dense(4)(b)])
    return Model(inputs=[a, b], outputs=Dense(2, activation="softmax", name="out")(merged))


def _xy(n=32, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 8, 8, 1).astype("float32"), rng.randint(0, 3, n)


def test_sequential_save_load_predict_identical(tmp_path):
    x, y = _xy()
    model = _convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.glassnet")
    loaded = load_model(tmp_path / "m.glassnet")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))


def test_functional_save_load_predict_identical(tmp_path):
    model = _functional()
    xa, xb = np.random.rand(6, 5).astype("float32"), np.random.rand(6, 3).astype("float32")
    model.save(tmp_path / "f.glassnet")
    loaded = load_model(tmp_path / "f.glassnet")
    np.testing.assert_array_equal(loaded.predict([xa, xb], verbose=0), model.predict([xa, xb], verbose=0))
    assert loaded.get_layer("shared").weight.shape == (4, 5)


def test_saved_file_holds_only_json_and_safetensors(tmp_path):
    model = _convnet()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(*_xy(), epochs=1, verbose=0)
    model.save(tmp_path / "m.glassnet")
    with zipfile.ZipFile(tmp_path / "m.glassnet") as archive:
        names = sorted(archive.namelist())
        config = json.loads(archive.read("config.json"))
    assert names == ["config.json", "model.safetensors", "optimizer.json", "optimizer.safetensors",
                     "resume.json", "resume.safetensors"]
    assert config["model"]["class_name"] == "Sequential"


def test_resume_from_a_mid_training_save_gives_the_same_curve(tmp_path):
    x, y = _xy(64)

    def fresh():
        torch.manual_seed(3)
        model = Sequential([Input(shape=(8, 8, 1)), Conv2D(4, 3, activation="relu"), BatchNormalization(),
                            Flatten(), Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      precision="float32")
        return model

    uninterrupted = fresh().fit(x, y, batch_size=16, epochs=4, verbose=0).history["loss"]

    first = fresh()
    first.fit(x, y, batch_size=16, epochs=2, verbose=0)
    first.save(tmp_path / "half.glassnet")
    resumed = load_model(tmp_path / "half.glassnet")
    rest = resumed.fit(x, y, batch_size=16, epochs=4, initial_epoch=2, verbose=0).history["loss"]
    np.testing.assert_allclose(rest, uninterrupted[2:], rtol=1e-5)


def test_failed_save_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "m.glassnet"
    model = _convnet()
    model.save(path)
    before = path.read_bytes()
    broken = Sequential([Input(shape=(3,)), Dense(2, activation=lambda t: t * 2)])
    with pytest.raises(TypeError, match="save_weights"):
        broken.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.glassnet"]  # no temporary file left behind


def test_weights_round_trip_safetensors_and_torch_state_dict(tmp_path):
    model, twin = _convnet(), _convnet()
    model.save_weights(tmp_path / "w.safetensors")
    twin.load_weights(tmp_path / "w.safetensors")
    x, _ = _xy(4)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    torch.save(model.state_dict(), tmp_path / "w.pth")
    third = _convnet()
    third.load_weights(tmp_path / "w.pth")
    np.testing.assert_array_equal(third.predict(x, verbose=0), model.predict(x, verbose=0))


def test_mismatched_weights_list_missing_and_unexpected(tmp_path):
    _convnet().save_weights(tmp_path / "w.safetensors")
    other = Sequential([Input(shape=(8, 8, 1)), Flatten(), Dense(3)])
    with pytest.raises(errors.ShapeError) as info:
        other.load_weights(tmp_path / "w.safetensors")
    message = str(info.value)
    assert "unexpected: batch_normalization.bias" in message and "conv2d.weight" in message
    assert "shape mismatch: dense.weight: model (3, 64) vs file (3, 36)" in message


def test_truncated_model_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "m.glassnet"
    _convnet().save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(errors.DataFileError, match="not a complete glassnet model file"):
        load_model(path)


def test_pickled_weights_are_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"weight": Evil()}))
    with pytest.raises(errors.DataFileError):
        _convnet().load_weights(path)


def test_weight_keys_do_not_depend_on_how_many_models_were_built_before(tmp_path):
    first, second = _convnet(), _convnet()
    assert list(first.state_dict()) == list(second.state_dict())
    assert [layer.name for layer in second.layers][:2] == ["conv2d", "batch_normalization"]


def test_model_built_lazily_saves_and_loads(tmp_path):
    model = Sequential([Dense(4, activation="relu"), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.rand(8, 6).astype("float32")
    model.fit(x, np.random.rand(8, 2).astype("float32"), verbose=0)
    model.save(tmp_path / "lazy.glassnet")
    np.testing.assert_array_equal(load_model(tmp_path / "lazy.glassnet").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


def _dropout_net():
    torch.manual_seed(3)
    model = Sequential([Input(shape=(8, 8, 1)), Flatten(), Dense(16, activation="relu"), Dropout(0.5),
                        Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", precision="float32")
    return model


def _plateau_callbacks():
    # min_delta=10: nothing counts as an improvement after the first epoch, so the learning rate halves every
    # epoch and EarlyStopping's patience runs out at epoch 4: both only match if their state survives the save
    return [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10),
            EarlyStopping(monitor="loss", patience=3, min_delta=10)]


def test_resume_is_bit_identical_with_dropout_and_callback_state(tmp_path):
    x, y = _xy(48)
    straight = _dropout_net()
    history = straight.fit(x, y, batch_size=8, epochs=6, callbacks=_plateau_callbacks(), verbose=0)

    first = _dropout_net()
    first.fit(x, y, batch_size=8, epochs=2, callbacks=_plateau_callbacks(), verbose=0)
    first.save(tmp_path / "half.glassnet")
    torch.rand(100), np.random.rand(10)  # the process that resumes has used its generators differently

    resumed = load_model(tmp_path / "half.glassnet")
    rest = resumed.fit(x, y, batch_size=8, epochs=6, initial_epoch=2, callbacks=_plateau_callbacks(), verbose=0)

    assert len(history.epoch) == 4 and rest.epoch == [2, 3]  # stopped early at the same epoch
    assert resumed.optimizer.learning_rate == straight.optimizer.learning_rate
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_resume_without_the_snapshot_differs(tmp_path):
    """The control for the test above: dropping the RNG/callback snapshot changes the weights."""
    x, y = _xy(48)
    straight = _dropout_net()
    straight.fit(x, y, batch_size=8, epochs=4, verbose=0)
    first = _dropout_net()
    first.fit(x, y, batch_size=8, epochs=2, verbose=0)
    first.save(tmp_path / "half.glassnet")
    resumed = load_model(tmp_path / "half.glassnet")
    resumed._resume_state = None
    torch.manual_seed(123)
    resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, verbose=0)
    assert not torch.equal(straight.layers[1].weight, resumed.layers[1].weight)


@pytest.mark.parametrize("killed_after", [1, 3])
def test_kill_at_any_epoch_and_resume_from_its_checkpoint_is_bit_identical(tmp_path, killed_after):
    x, y = _xy(48)
    straight = _dropout_net()
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}.glassnet"))  # first: still saves after the others
    straight.fit(x, y, batch_size=8, epochs=6, callbacks=[checkpoint, *_plateau_callbacks()], verbose=0)
    resumed = load_model(tmp_path / f"e{killed_after}.glassnet")  # as if the run died after this epoch
    resumed.fit(x, y, batch_size=8, epochs=6, initial_epoch=killed_after, verbose=0,
                callbacks=[*_plateau_callbacks(), ModelCheckpoint(str(tmp_path / "r{epoch}.glassnet"))])
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name
    assert sorted(p.name for p in tmp_path.glob("r*")) == [f"r{e}.glassnet" for e in range(killed_after + 1, 5)]


def test_compiled_with_loss_and_metric_objects_loads_and_trains_on(tmp_path):
    """Issue 7: load_model of a model compiled with a Loss object failed ('losses given for unknown
    output(s) ['class_name', 'config']'); a user Metric did not load either."""
    from glassnet import losses, metrics

    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add((y_pred > 0.5).sum())

        def result(self):
            return self.count

    model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(),
                  metrics=[CountPositives(), metrics.SparseCategoricalAccuracy()])
    x, y = np.random.rand(8, 3).astype("float32"), np.arange(8) % 2
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "objects.glassnet")
    restored = load_model(tmp_path / "objects.glassnet")
    assert [m.name for m in restored.metrics] == ["loss", "count_positives", "sparse_categorical_accuracy"]
    assert restored.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(
        model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rel=1e-6)
    restored.fit(x, y, epochs=1, verbose=0)
