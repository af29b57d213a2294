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
