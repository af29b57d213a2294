"""The errors people hit on day one: each message says what is wrong and what to do."""

import numpy as np
import pytest

from glassnet import errors
from glassnet.layers import Dense, Input
from glassnet.models import Sequential


def _mlp(inputs=784, classes=10, activation="softmax"):
    model = Sequential([Dense(32, activation="relu", input_dim=inputs), Dense(classes, activation=activation)])
    return model


def test_images_into_a_model_built_for_vectors_suggest_flatten():
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(errors.ShapeError) as info:
        model.fit(np.zeros((8, 28, 28), "float32"), np.zeros(8, "int64"), verbose=0)
    message = str(info.value)
    assert "(None, 28, 28)" in message and "784" in message and "Flatten" in message and "'dense'" in message


def test_labels_out_of_range_name_the_range_and_the_classes():
    model = _mlp(inputs=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(errors.LabelError, match=r"range from 0 to 10.*outputs 10 classes"):
        model.fit(np.zeros((11, 4), "float32"), np.arange(11), verbose=0)


def test_one_hot_labels_given_to_a_sparse_loss():
    model = _mlp(inputs=4, classes=3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(errors.LabelError, match="look one-hot.*categorical_crossentropy"):
        model.fit(np.zeros((6, 4), "float32"), np.eye(3)[[0, 1, 2, 0, 1, 2]], verbose=0)


def test_integer_labels_given_to_categorical_crossentropy():
    model = _mlp(inputs=4, classes=3)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(errors.LabelError, match="to_categorical.*sparse_categorical_crossentropy|"
                                                "sparse_categorical_crossentropy.*to_categorical"):
        model.fit(np.zeros((6, 4), "float32"), np.array([0, 1, 2, 0, 1, 2]), verbose=0)


def test_nan_loss_stops_and_names_epoch_step_and_learning_rate():
    from glassnet.optimizers import SGD
    rng = np.random.RandomState(0)
    model = Sequential([Dense(1, input_dim=5)])
    model.compile(optimizer=SGD(learning_rate=1e6), loss="mse")
    with pytest.raises(errors.NaNLossError) as info:
        model.fit(rng.randn(64, 5).astype("float32") * 100, rng.randn(64).astype("float32") * 100,
                  batch_size=8, epochs=3, verbose=0)
    message = str(info.value)
    assert "epoch 1, step" in message and "learning rate" in message and "1e+06" in message


def test_fit_and_evaluate_before_compile():
    model = _mlp(inputs=4)
    for call in (lambda: model.fit(np.zeros((2, 4)), np.zeros(2)), lambda: model.evaluate(np.zeros((2, 4)), np.zeros(2))):
        with pytest.raises(errors.NotCompiledError, match=r"compile the model.*model.compile\("):
            call()


@pytest.mark.parametrize("kind, make", [
    ("optimizer", lambda: _mlp(4).compile(optimizer="adamm", loss="mse")),
    ("loss", lambda: _mlp(4).compile(optimizer="adam", loss="mean_sqared_error")),
    ("activation", lambda: Dense(3, activation="rellu")),
    ("initializer", lambda: Dense(3, kernel_initializer="he_normall")),
    ("metric", lambda: _mlp(4).compile(optimizer="adam", loss="mse", metrics=["acuracy"])),
])
def test_unknown_names_list_the_valid_ones(kind, make):
    with pytest.raises(errors.UnknownNameError) as info:
        make()
    message = str(info.value)
    assert f"Unknown {kind}" in message and "Valid names:" in message and "Did you mean" in message


def test_x_and_y_of_different_lengths():
    model = _mlp(inputs=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(errors.ShapeError, match="x has 10 samples but y has 9"):
        model.fit(np.zeros((10, 4), "float32"), np.zeros(9, "int64"), verbose=0)


def test_errors_are_also_the_builtin_exceptions_users_catch():
    assert issubclass(errors.ShapeError, ValueError)
    assert issubclass(errors.NotCompiledError, RuntimeError)


def test_functional_model_rejects_inputs_not_from_Input():
    from glassnet.models import Model
    x = Input(shape=(3,))
    hidden = Dense(2)(x)
    with pytest.raises(ValueError, match="Input"):
        Model(inputs=hidden, outputs=Dense(1)(hidden))
