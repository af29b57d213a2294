"""The course's Keras snippets, unchanged but for the imports, on real MNIST."""

import numpy as np
import pytest

from conftest import require_data

pytestmark = pytest.mark.xdist_group("mnist")


@pytest.fixture(scope="module")
def mnist_flat():
    require_data("mnist", "train-images-idx3-ubyte.gz")
    from glassnet.datasets import mnist
    from glassnet.utils import to_categorical
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    return x_train, to_categorical(y_train, 10), x_test, to_categorical(y_test, 10), y_test


def test_sequential_snippet_beats_90_percent(mnist_flat):
    x_train, y_train, x_test, y_test, labels = mnist_flat
    # --- the Keras snippet, imports changed ---
    from glassnet.models import Sequential
    from glassnet.layers import Dense

    model = Sequential()
    model.add(Dense(units=64, activation='relu', input_dim=784))
    model.add(Dense(units=10, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0)
    loss_and_metrics = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    classes = model.predict(x_test, verbose=0)
    # --- end of snippet ---
    assert loss_and_metrics[1] > 0.90
    assert classes.shape == (10000, 10)
    assert np.allclose(classes.sum(axis=1), 1, atol=1e-5)
    assert (classes.argmax(1) == labels).mean() == pytest.approx(loss_and_metrics[1], abs=1e-6)


def test_functional_snippet_beats_90_percent(mnist_flat):
    data, labels, x_test, y_test, _ = mnist_flat
    # --- the Keras snippet, imports changed ---
    from glassnet.layers import Input, Dense
    from glassnet.models import Model

    inputs = Input(shape=(784,))
    x = Dense(64, activation='relu')(inputs)
    x = Dense(64, activation='relu')(x)
    predictions = Dense(10, activation='softmax')(x)
    model = Model(inputs=inputs, outputs=predictions)
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
    model.fit(data, labels, verbose=0)
    # --- end of snippet ---
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.90


def test_mnist_convnet_reaches_98_5_percent():
    require_data("mnist", "train-images-idx3-ubyte.gz")
    from glassnet.datasets import mnist
    from glassnet.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
    from glassnet.models import Sequential

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[..., None].astype("float32") / 255  # (N, 28, 28, 1), Keras layout
    x_test = x_test[..., None].astype("float32") / 255
    model = Sequential([
        Input(shape=(28, 28, 1)),
        Conv2D(32, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Conv2D(64, kernel_size=(3, 3), activation="relu"),
        MaxPooling2D(pool_size=(2, 2)),
        Flatten(),
        Dropout(0.5),
        Dense(10, activation="softmax"),
    ])
    assert model.count_params() == 34826  # Keras' published figure for this convnet
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=3, validation_split=0.1, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.985


# ---------------------------------------------------------------- layers and models called on NumPy arrays
def test_layers_and_models_take_numpy_arrays():
    import torch
    from glassnet.layers import Dense, Embedding, Input, Normalization
    from glassnet.models import Sequential

    x = np.random.default_rng(0).random((2, 4))  # float64, as numpy makes it
    dense = Dense(3)
    out = dense(x)
    assert out.dtype == torch.float32
    expected = x.astype("float32") @ dense.weight.detach().numpy().T + dense.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5, atol=1e-6)

    model = Sequential([Input(shape=(4,)), Dense(2)])
    np.testing.assert_allclose(model(x).detach().numpy(), model(torch.tensor(x, dtype=torch.float32)).detach().numpy())

    tokens = np.array([[1, 2, 3]])  # integers stay integers for an Embedding
    assert Embedding(5, 2)(tokens).shape == (1, 3, 2)

    data = np.array([[1.0, 10.0], [3.0, 30.0]])
    norm = Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm(data).detach().numpy(), [[-1, -1], [1, 1]], atol=1e-5)


# ---------------------------------------------------------------- writing your own callbacks: logs are dicts
def test_every_callback_hook_gets_a_logs_dict():
    from glassnet.callbacks import Callback
    from glassnet.layers import Dense, Input
    from glassnet.models import Sequential

    class Record(Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def _note(self, name, logs):
            self.calls.append((name, type(logs)))

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
             "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]
    for hook in hooks:
        if "batch" not in hook and "epoch" not in hook:  # on_train_begin(logs), on_test_end(logs), ...
            setattr(Record, hook, lambda self, logs=None, _h=hook: self._note(_h, logs))
        else:
            setattr(Record, hook, lambda self, index, logs=None, _h=hook: self._note(_h, logs))
    record = Record()
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), callbacks=[record], verbose=0)
    model.evaluate(x, y, callbacks=[record], verbose=0)
    model.predict(x, callbacks=[record], verbose=0)
    assert {name for name, _ in record.calls} == set(hooks)
    assert all(kind is dict for _, kind in record.calls), [c for c in record.calls if c[1] is not dict]
