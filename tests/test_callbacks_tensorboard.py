"""keras.callbacks.TensorBoard: the event files hold fit's logged values, read back with TensorBoard's reader."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as keras
from glassnet.callbacks import TensorBoard

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(folder):
    acc = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def small_fit(callback, epochs=3):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, (32, 1))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, batch_size=8, epochs=epochs, validation_split=0.25, verbose=0, callbacks=[callback])


def test_epoch_scalars_match_history(tmp_path):
    history = small_fit(TensorBoard(log_dir=tmp_path, histogram_freq=1))
    train, validation = read(tmp_path / "train"), read(tmp_path / "validation")
    assert {"epoch_loss", "epoch_accuracy"} <= set(train.Tags()["scalars"])
    for tag, key in (("epoch_loss", "loss"), ("epoch_accuracy", "accuracy")):
        events = train.Scalars(tag)
        assert [e.step for e in events] == [0, 1, 2]
        assert [e.value for e in events] == pytest.approx(history.history[key], rel=1e-6)
    assert [e.value for e in validation.Scalars("epoch_loss")] == pytest.approx(history.history["val_loss"],
                                                                               rel=1e-6)
    assert set(train.Tags()["histograms"]) == {"dense.weight", "dense.bias"}


def test_batch_updates(tmp_path):
    small_fit(TensorBoard(log_dir=tmp_path, update_freq=2), epochs=1)
    steps = [e.step for e in read(tmp_path / "train").Scalars("batch_loss")]
    assert steps == [2]  # 3 training batches of 8 (validation takes 8 of 32): logged at batch 2


def test_bad_update_freq_is_explained():
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(update_freq="sometimes")
