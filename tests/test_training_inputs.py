"""Everything fit/evaluate/predict accept: arrays, tensors, Datasets, DataLoaders, generators."""

import numpy as np
import pytest
import torch

from glassnet import config
from glassnet.layers import Conv2D, Dense, Flatten, Input
from glassnet.models import Sequential


def _model(inputs=4):
    torch.manual_seed(0)
    model = Sequential([Input(shape=(inputs,)), Dense(8, activation="relu"), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  precision="float32")
    return model


def _xy(n=64):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 4).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def test_numpy_and_torch_inputs_train_identically():
    x, y = _xy()
    a = _model().fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    b = _model().fit(torch.from_numpy(x), torch.from_numpy(y), epochs=2, shuffle=False, verbose=0).history["loss"]
    assert a == pytest.approx(b)


def test_dataloader_dataset_and_generator_inputs():
    x, y = _xy()
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=16)
    for source, kwargs in ((loader, {}), (dataset, {"batch_size": 16})):
        history = _model().fit(source, epochs=2, verbose=0, **kwargs)
        assert len(history.history["loss"]) == 2

    def generator():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    model = _model()
    history = model.fit(generator(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.evaluate(loader, verbose=0)[1] == pytest.approx(model.evaluate(x, y, verbose=0)[1])
    assert model.predict(loader, verbose=0).shape == (64, 2)


def test_exhausted_generator_says_to_pass_steps_per_epoch():
    x, y = _xy()
    one_pass = ((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16))
    with pytest.raises(ValueError, match="steps_per_epoch"):
        _model().fit(one_pass, epochs=2, verbose=0)


def test_validation_split_takes_the_last_samples_like_keras():
    x, y = _xy(100)
    y[80:] = 1 - y[80:]  # the held-out tail is labelled the opposite way
    history = _model().fit(x, y, epochs=150, validation_split=0.2, verbose=0)
    assert history.history["accuracy"][-1] > 0.8 and history.history["val_accuracy"][-1] < 0.3


def test_sample_and_class_weights_change_the_loss():
    x, y = _xy()
    model = _model()
    plain = model.evaluate(x, y, verbose=0)[0]
    weighted = model.evaluate(x, y, sample_weight=np.where(y == 1, 2.0, 0.0).astype("float32"), verbose=0)[0]
    per_sample = torch.nn.functional.cross_entropy(torch.log(torch.tensor(model.predict(x, verbose=0))),
                                                   torch.tensor(y), reduction="none")
    assert weighted == pytest.approx(float((per_sample * torch.tensor(np.where(y == 1, 2.0, 0.0))).mean()), rel=1e-5)
    assert plain == pytest.approx(float(per_sample.mean()), rel=1e-5)


def test_class_weight_is_the_equivalent_sample_weight_and_changes_training():
    x, y = _xy()
    weights = np.where(y == 1, 3.0, 1.0).astype("float32")
    by_class = _model().fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=2, shuffle=False, verbose=0)
    by_sample = _model().fit(x, y, sample_weight=weights, epochs=2, shuffle=False, verbose=0)
    plain = _model().fit(x, y, epochs=2, shuffle=False, verbose=0)
    assert by_class.history["loss"] == pytest.approx(by_sample.history["loss"], rel=1e-6)
    assert by_class.history["loss"] != pytest.approx(plain.history["loss"], rel=1e-3)


def test_train_on_batch_honours_class_weight():
    x, y = _xy(16)
    weights = np.where(y == 1, 3.0, 1.0).astype("float32")
    a, b, c = _model(), _model(), _model()
    by_class = [a.train_on_batch(x, y, class_weight={1: 3.0})[0] for _ in range(3)]
    by_sample = [b.train_on_batch(x, y, sample_weight=weights)[0] for _ in range(3)]
    plain = [c.train_on_batch(x, y)[0] for _ in range(3)]
    assert by_class == pytest.approx(by_sample, rel=1e-6) and by_class != pytest.approx(plain, rel=1e-3)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)


def test_train_test_predict_on_batch():
    x, y = _xy(8)
    model = _model()
    loss_before = model.test_on_batch(x, y)[0]
    for _ in range(30):
        model.train_on_batch(x, y)
    assert model.test_on_batch(x, y)[0] < loss_before
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0))


def test_channels_first_format_for_pytorch_users():
    config.set_image_data_format("channels_first")
    try:
        model = Sequential([Input(shape=(1, 8, 8)), Conv2D(2, 3), Flatten(), Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(np.random.rand(8, 1, 8, 8).astype("float32"), np.random.randint(0, 2, 8), verbose=0)
        assert model.predict(np.zeros((2, 1, 8, 8), "float32"), verbose=0).shape == (2, 2)
    finally:
        config.set_image_data_format("channels_last")


def test_device_choice_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.default_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert config.default_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.default_device().type == "cpu"


def test_precision_choice_is_shown_and_float32_can_be_forced():
    model = _model()
    assert "float32" in model.compiled.describe()
    auto = Sequential([Input(shape=(2,)), Dense(1)])
    auto.compile(optimizer="sgd", loss="mse")
    expected = "bfloat16" if config.has_native_bf16("cpu") else "float32"
    assert auto.compiled.precision == expected


def test_torch_compile_trains_to_the_same_losses():
    x, y = _xy()
    eager = _model().fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    compiled_model = _model()
    compiled_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", precision="float32",
                           compile=True)
    compiled = compiled_model.fit(x, y, epochs=2, shuffle=False, verbose=0).history["loss"]
    assert compiled == pytest.approx(eager, rel=1e-4)
    assert "torch.compile: on" in compiled_model.compiled.describe()
