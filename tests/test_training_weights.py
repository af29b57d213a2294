"""Which samples count, and how much: class_weight is the sample_weight of each sample's class (and changes
the loss), labels stay with their samples through glassnet's batching, and validation_split holds out
the last samples before shuffling, as Keras does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet.layers import Dense, GlobalAveragePooling2D, Input
from glassnet.models import Sequential
from glassnet.optimizers import SGD

CLASS_WEIGHT = {0: 1.0, 1: 3.0, 2: 0.5}


def _data(n: int = 48):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.integers(0, 3, n)
    return x, y


def _model():
    torch.manual_seed(0)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", precision="float32")
    return model


def _fit(**weighting) -> tuple[list[float], list[torch.Tensor]]:
    x, y = _data()
    model = _model()
    torch.manual_seed(1)  # the same shuffling for every run
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0, **weighting)
    return history.history["loss"], [w.detach().clone() for w in model.weights]


def test_class_weight_trains_exactly_like_the_equivalent_sample_weight():
    _, y = _data()
    by_class, weights_a = _fit(class_weight=CLASS_WEIGHT)
    by_sample, weights_b = _fit(sample_weight=np.array([CLASS_WEIGHT[c] for c in y], dtype=np.float32))
    unweighted, weights_c = _fit()
    assert by_class == pytest.approx(by_sample, rel=1e-6)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(weights_a, weights_b))
    assert by_class[0] != pytest.approx(unweighted[0], rel=1e-3)  # the weighting is not ignored
    assert not all(torch.allclose(a, c, atol=1e-4) for a, c in zip(weights_a, weights_c))


def test_train_on_batch_class_weight_is_the_weighted_crossentropy():
    x, y = _data()
    model = _model()
    probabilities = torch.from_numpy(model.predict(x, verbose=0))
    per_sample = torch.nn.functional.nll_loss(probabilities.log(), torch.from_numpy(y), reduction="none")
    weights = torch.tensor([CLASS_WEIGHT[c] for c in y])
    loss = model.train_on_batch(x, y, class_weight=CLASS_WEIGHT)  # computed before the update
    assert float(np.ravel(loss)[0]) == pytest.approx(float((per_sample * weights).mean()), rel=1e-5)
    assert float(np.ravel(loss)[0]) != pytest.approx(float(per_sample.mean()), rel=1e-3)
    again = _model().train_on_batch(x, y, sample_weight=weights.numpy())
    assert float(np.ravel(again)[0]) == pytest.approx(float(np.ravel(loss)[0]), rel=1e-6)


# ---------------------------------------------------------------------------- which samples, with which labels
class Recorder:
    """A loss that records each batch's (y_true, y_pred) and whether it was a training batch (gradients on)."""

    def __init__(self):
        self.batches: list[tuple[bool, np.ndarray, np.ndarray]] = []

    def __call__(self, y_true, y_pred):
        self.batches.append((torch.is_grad_enabled(), y_true.detach().reshape(-1).cpu().numpy().copy(),
                             y_pred.detach().reshape(-1).cpu().numpy().copy()))
        return ((y_pred.reshape(-1) - y_true.reshape(-1).to(y_pred.dtype)) ** 2).mean()

    def seen(self, training: bool) -> tuple[np.ndarray, np.ndarray]:
        parts = [(t, p) for grad, t, p in self.batches if grad == training]
        return np.concatenate([t for t, _ in parts]), np.concatenate([p for _, p in parts])


def _indexed_images(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Image i is filled with the value i and labelled i: a model that reads the image gives back its index."""
    x = np.arange(n, dtype=np.float32)[:, None, None, None] * np.ones((1, 3, 3, 2), np.float32)
    return x, np.arange(n, dtype=np.float32)


def _index_reader(recorder: Recorder):
    """Outputs the value an image is filled with (mean pixel), and never changes (learning rate 0)."""
    model = Sequential([Input((3, 3, 2)), GlobalAveragePooling2D(),
                        Dense(1, kernel_initializer="ones", bias_initializer="zeros")])
    model.layers[-1].weight.data.fill_(0.5)  # two channels: 0.5 * i + 0.5 * i = i
    model.compile(optimizer=SGD(learning_rate=0.0), loss=recorder)
    return model


def test_shuffled_fit_keeps_every_label_with_its_image():
    x, y = _indexed_images(40)
    recorder = Recorder()
    _index_reader(recorder).fit(x, y, batch_size=6, epochs=2, shuffle=True, verbose=0)
    labels, outputs = recorder.seen(training=True)
    np.testing.assert_array_equal(outputs, labels)  # each batch's labels are its images' labels
    first, second = labels[:40], labels[40:]
    assert sorted(first) == list(range(40)) and sorted(second) == list(range(40))  # every sample once per epoch
    assert list(first) != list(range(40)) and list(first) != list(second)  # really shuffled, anew each epoch


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    x, y = _indexed_images(50)
    recorder = Recorder()
    _index_reader(recorder).fit(x, y, batch_size=8, epochs=2, shuffle=True, validation_split=0.2, verbose=0)
    train_labels, train_outputs = recorder.seen(training=True)
    val_labels, val_outputs = recorder.seen(training=False)
    np.testing.assert_array_equal(val_labels, np.tile(np.arange(40, 50), 2))  # the last 20 %, in order, each epoch
    np.testing.assert_array_equal(val_outputs, val_labels)
    assert sorted(train_labels) == sorted(np.tile(np.arange(40), 2))
    np.testing.assert_array_equal(train_outputs, train_labels)


def test_sample_weights_follow_their_samples_through_the_shuffle():
    x, y = _indexed_images(30)
    model = _index_reader(Recorder())
    model.compile(optimizer=SGD(learning_rate=0.0), loss=lambda t, p: t.reshape(-1) + 0 * p.reshape(-1))  # loss i
    odd = (np.arange(30) % 2).astype(np.float32)  # only odd samples count
    history = model.fit(x, y, sample_weight=odd, batch_size=30, epochs=1, shuffle=True, verbose=0)
    assert history.history["loss"][0] == pytest.approx(np.arange(1, 30, 2).sum() / 30)  # 7.5; misaligned: other
