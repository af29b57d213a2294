"""The Trainer derives its state from the model at every fit: nothing goes stale between fits."""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet import layout, logits, serialization
from glassnet.applications import ResNet20
from glassnet.layers import BatchNormalization, Dense, Dropout, Input
from glassnet.layers.base import Layer
from glassnet.models import Model, Sequential
from glassnet.modes import evaluating
from glassnet.training.trainer import Trainer

RNG = np.random.RandomState(0)


def test_model_is_a_trainer_and_a_layer_in_keras_order():
    mro = Model.__mro__
    assert mro.index(Trainer) < mro.index(Layer) and issubclass(Model, torch.nn.Module)
    for name in ("compile", "fit", "evaluate", "predict", "train_step", "test_step", "predict_step", "compute_loss"):
        assert name in Trainer.__dict__ and name not in Model.__dict__


def test_reset_classifier_between_fits_trains_the_new_head_with_the_true_loss():
    """The reproduction from the issue: after reset_classifier the new head's softmax is scored
    from its logits and its weights are in the optimizer."""
    model = ResNet20(input_shape=(32, 32, 3), classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = RNG.rand(16, 32, 32, 3).astype("float32")
    model.fit(x, RNG.randint(0, 10, 16), batch_size=8, epochs=1, verbose=0)
    head = model.reset_classifier(5)
    y = RNG.randint(0, 5, 16)
    before = head.weight.detach().clone()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not torch.equal(before, head.weight.detach()), "the new head never trained"
    assert any(p is head.weight for p in model.optimizer._params)
    probabilities = model.predict(x, verbose=0)
    true_loss = F.nll_loss(torch.log(torch.from_numpy(probabilities)), torch.from_numpy(y)).item()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(true_loss, rel=1e-4)


def test_frozen_weights_leave_the_optimizer_and_unfrozen_ones_join_keeping_state():
    model = Sequential([Input(shape=(3,)), Dense(4, name="a"), Dense(1, name="b")])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.rand(16, 3).astype("float32"), RNG.rand(16, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    b_state = model.optimizer.torch_optimizer.state[model.get_layer("b").weight]
    model.get_layer("a").trainable = False
    frozen = model.get_layer("a").weight.detach().clone()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert torch.equal(frozen, model.get_layer("a").weight.detach())
    assert all(p is not model.get_layer("a").weight for p in model.optimizer._params)
    kept = model.optimizer.torch_optimizer.state[model.get_layer("b").weight]
    assert int(kept["step"]) == 4 and kept is b_state  # the moments carried on
    model.get_layer("a").trainable = True
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not torch.equal(frozen, model.get_layer("a").weight.detach())


def test_softmax_output_is_scored_from_its_logits_without_flags_on_layers():
    """Logits 100 apart: the log of the clipped probability would give 16.1; the true loss is 100."""
    model = Sequential([Input(shape=(2,)), Dense(2, activation="softmax", use_bias=False)])
    model.get_layer(index=0).weight.data = torch.eye(2)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = np.array([[100.0, 0.0]], "float32"), np.array([1])
    assert model.evaluate(x, y, verbose=0) == pytest.approx(100.0, rel=1e-5)
    out = model(torch.from_numpy(x))
    assert torch.equal(logits.of(out, "softmax"), torch.from_numpy(x))
    assert not any(hasattr(m, "_emit_logits") for m in model.modules())
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0)


def test_an_output_without_logits_falls_back_to_keras_clipped_crossentropy():
    model = Sequential([Input(shape=(2,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    p = torch.softmax(torch.tensor([[30.0, 0.0], [0.2, 0.1]]), -1)  # no logits attached
    y = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    keras_formula = -(y * p.clamp(1e-7, 1 - 1e-7).log()).sum(-1).mean()
    assert model.compiled.compute_loss(y, p).item() == pytest.approx(keras_formula.item(), rel=1e-6)


@pytest.mark.parametrize("device_side", ["0", "1"])
def test_device_side_log_path_gives_the_same_history(monkeypatch, device_side):
    """GLASSNET_DEVICE_SIDE_LOGS=1 runs the accelerator code path (logs and NaN tracking kept on the
    device) on the CPU, so both halves are tested here."""
    monkeypatch.setenv("GLASSNET_DEVICE_SIDE_LOGS", device_side)
    torch.manual_seed(0)
    model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.RandomState(1).rand(20, 3).astype("float32"), np.arange(20) % 2
    model._shuffle_seed = 3
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    torch.manual_seed(0)
    reference = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    reference.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    reference._shuffle_seed = 3
    monkeypatch.setenv("GLASSNET_DEVICE_SIDE_LOGS", "0")
    expected = reference.fit(x, y, batch_size=4, epochs=2, verbose=0)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(history.history[key], expected.history[key], rtol=1e-6)


@pytest.mark.parametrize("device_side", ["0", "1"])
def test_nan_loss_names_the_first_bad_step_on_both_paths(monkeypatch, device_side):
    from glassnet.errors import NaNLossError
    monkeypatch.setenv("GLASSNET_DEVICE_SIDE_LOGS", device_side)
    model = Sequential([Input(shape=(1,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((12, 1), "float32")
    x[9] = np.nan  # in the third batch of 4, unshuffled
    with pytest.raises(NaNLossError, match=r"epoch 1, step 3 of 3"):
        model.fit(x, np.ones((12, 1), "float32"), batch_size=4, shuffle=False, verbose=0)


def test_training_argument_runs_one_call_in_that_mode_and_restores_it():
    model = Sequential([Input(shape=(4,)), BatchNormalization(), Dropout(0.5)])
    model.train()
    x = torch.randn(64, 4) * 3 + 5
    out = model(x, training=False)  # moving statistics (0 mean, 1 var) and no dropout
    torch.testing.assert_close(out, x / torch.sqrt(torch.tensor(1 + 1e-3)))
    assert model.training and all(m.training for m in model.modules())
    dropout = Dropout(0.5).eval()
    assert (dropout(torch.ones(1000), training=True) == 0).any() and not dropout.training


def test_subclassed_call_receives_training_and_sublayers_follow():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dense, self.dropout = Dense(8), Dropout(0.9)

        def call(self, inputs, training=None):
            self.seen = training
            return self.dropout(self.dense(inputs), training=training)

    net = Net()
    out = net(torch.ones(2, 3), training=False)
    assert net.seen is False and torch.equal(out, net.dense(torch.ones(2, 3)))


def test_evaluating_restores_each_flag_even_when_the_block_raises():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout())
    net[1].eval()
    with pytest.raises(ZeroDivisionError), evaluating(net):
        1 / 0
    assert net.training and net[0].training and not net[1].training


def test_label_check_failure_leaves_the_model_in_training_mode():
    from glassnet.errors import LabelError
    model = Sequential([Input(shape=(2,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(LabelError):
        model.fit(np.zeros((4, 2), "float32"), np.array([0, 1, 2, 7]), verbose=0)
    assert model.training


def test_nested_models_convert_images_once_and_the_flag_is_per_thread():
    inner = Sequential([Input(shape=(4, 4, 3)), Dense(2)])
    inputs = Input(shape=(4, 4, 3))
    outer = Model(inputs, inner(inputs))
    x = torch.randn(1, 4, 4, 3)
    torch.testing.assert_close(outer(x), inner(x))
    seen = []
    with layout.internal_layout():
        thread = threading.Thread(target=lambda: seen.append(layout.is_internal()))
        thread.start()
        thread.join()
        assert layout.is_internal()
    assert seen == [False] and not layout.is_internal()


def test_internal_layout_flag_is_reset_when_a_model_raises():
    model = Sequential([Input(shape=(3,)), Dense(2)])
    with pytest.raises(Exception):
        model(torch.zeros(1, 5))
    assert not layout.is_internal()


def test_user_class_named_like_a_glassnet_layer_does_not_replace_it(tmp_path):
    from glassnet.layers import Dense as GlassnetDense

    class Dense(Layer):  # noqa: F811 - a user's own class with glassnet's name
        def call(self, inputs):
            return inputs * 2

    assert serialization.get_class("Dense") is GlassnetDense
    assert serialization.registered_name(Dense) == f"{__name__}>test_user_class_named_like_a_glassnet_layer_does_not_replace_it.<locals>.Dense"
    model = Sequential([Input(shape=(2,)), Dense(), GlassnetDense(1)])
    model.save(tmp_path / "m.glassnet")
    from glassnet.models import load_model
    restored = load_model(tmp_path / "m.glassnet")
    assert [type(layer) for layer in restored.layers] == [Dense, GlassnetDense]


def test_two_different_classes_under_one_serialization_name_raise():
    class A:
        pass

    class B:
        pass

    serialization.register(A, package="Clash", name="Thing")
    serialization.register(A, package="Clash", name="Thing")  # the same class again: fine
    with pytest.raises(ValueError, match="Two classes want the serialization name 'Clash>Thing'"):
        serialization.register(B, package="Clash", name="Thing")


def test_glassnet_own_class_names_are_unique():
    own = [cls for key, cls in serialization._CLASSES.items() if ">" not in key]
    names = [cls.__name__ for cls in own]
    assert len(names) == len(set(names))
    assert "InceptionAux" not in names or names.count("InceptionAux") == 1
