"""Progressive disclosure: override train_step / compute_loss for custom training."""

import numpy as np
import torch

import pytest

from glassnet import callbacks as glassnet_callbacks
from glassnet import metrics as glassnet_metrics
from glassnet import optimizers as glassnet_optimizers
from glassnet.layers import Dense, Input
from glassnet.models import Model, Sequential


class L2Sequential(Sequential):
    """Adds an L2 penalty on the weights in compute_loss, and counts its own steps in train_step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_steps = 0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        penalty = sum((p ** 2).sum() for name, p in self.named_parameters() if name.endswith("weight"))
        return super().compute_loss(x, y, y_pred, sample_weight) + 0.1 * penalty

    def train_step(self, data):
        self.custom_steps += 1
        logs = super().train_step(data)
        logs["weight_norm"] = torch.sqrt(sum((p.detach() ** 2).sum() for p in self.parameters()))
        return logs


def test_overridden_steps_are_used_and_their_logs_reported():
    model = L2Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(32, 3).astype("float32"), np.random.rand(32, 1).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert model.custom_steps == 12
    assert "weight_norm" in history.history and len(history.history["weight_norm"]) == 3
    plain = Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
    plain.set_weights(model.get_weights())
    plain.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(x, y, verbose=0) > plain.evaluate(x, y, verbose=0)  # the penalty is in the loss


class KerasStyleStep(Sequential):
    """The keras-io 'Customizing fit() with PyTorch' step: optimizer.apply and self.metrics."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        weights = list(self.trainable_weights)
        with torch.no_grad():
            self.optimizer.apply([w.grad for w in weights], weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss, sample_weight=len(x))
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_keras_style_train_step_matches_the_default_step():
    x, y = np.random.RandomState(0).rand(40, 3).astype("float32"), np.random.RandomState(1).rand(40, 1).astype("float32")
    histories = []
    for cls in (KerasStyleStep, Sequential):
        torch.manual_seed(0)
        model = cls([Input(shape=(3,)), Dense(4), Dense(1)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        model._shuffle_seed = 5
        histories.append(model.fit(x, y, batch_size=8, epochs=3, verbose=0).history)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)


def test_epoch_logs_are_the_running_means_keras_shows():
    """The epoch's loss is the batch-size-weighted mean of the step losses (Keras' loss tracker)."""
    model = Sequential([Input(shape=(1,)), Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((10, 1), "float32"), np.arange(10, dtype="float32").reshape(10, 1)
    seen = []

    class Record(glassnet_callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model.compile(optimizer=glassnet_optimizers.SGD(learning_rate=0.0), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[Record()])
    per_batch = [np.mean(np.arange(0, 4) ** 2), np.mean(np.arange(4, 8) ** 2), np.mean(np.arange(8, 10) ** 2)]
    expected_running = [per_batch[0], (4 * per_batch[0] + 4 * per_batch[1]) / 8, np.mean(np.arange(10) ** 2)]
    np.testing.assert_allclose(seen, expected_running, rtol=1e-6)
    assert history.history["loss"] == [pytest.approx(np.mean(np.arange(10) ** 2))]


def test_user_metrics_property_is_reset_each_epoch():
    class Tracked(Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tracker = glassnet_metrics.Mean(name="steps_seen")

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, data):
            self.tracker.update_state(1.0)
            return {"steps_seen": self.tracker.count.detach().clone()}

    model = Tracked([Input(shape=(1,)), Dense(1)])
    model.compile(optimizer="sgd")
    history = model.fit(np.zeros((12, 1), "float32"), np.zeros((12, 1), "float32"), batch_size=4, epochs=2, verbose=0)
    assert history.history["steps_seen"] == [3.0, 3.0]


def test_a_model_with_only_a_train_step_fits_without_being_called():
    class OnlySteps(Model):
        def __init__(self):
            super().__init__()
            self.generator = Dense(2)

        def train_step(self, data):
            x, _ = data
            loss = (self.generator(x) ** 2).mean()
            self.optimizer.apply(torch.autograd.grad(loss, list(self.generator.parameters())),
                                 list(self.generator.parameters()))
            return {"g_loss": loss.detach()}

    model = OnlySteps()
    model.generator(torch.zeros(1, 3))
    model.compile(optimizer="sgd")
    history = model.fit(np.ones((8, 3), "float32"), np.zeros(8), batch_size=4, epochs=2, verbose=0)
    assert history.history["g_loss"][1] < history.history["g_loss"][0]


def test_nothing_to_train_and_only_added_losses_still_fit():
    frozen = Sequential([Input(shape=(2,)), Dense(2, trainable=False)])
    frozen.compile(optimizer="adam", loss="mse")
    assert np.isfinite(frozen.fit(np.ones((4, 2), "float32"), np.ones((4, 2), "float32"), verbose=0).history["loss"][0])
    regularized = Sequential([Input(shape=(2,)), Dense(2, kernel_regularizer="l2")])
    regularized.compile(optimizer="sgd")  # no compiled loss: the regularization term is the loss
    loss = regularized.fit(np.ones((4, 2), "float32"), np.ones((4, 2), "float32"), epochs=3, verbose=0).history["loss"]
    assert loss[2] < loss[0]


def test_subclassed_model_with_two_outputs_takes_a_list_of_losses():
    class TwoHeads(Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = Dense(1), Dense(3, activation="softmax")

        def call(self, inputs):
            return self.a(inputs), self.b(inputs)

    model = TwoHeads()
    model.compile(optimizer="sgd", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    x = np.random.rand(8, 4).astype("float32")
    history = model.fit(x, (np.zeros((8, 1), "float32"), np.arange(8) % 3), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "output_2_accuracy"}
    assert model.compiled.output_names == ["output_1", "output_2"]
