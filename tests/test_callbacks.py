"""Callbacks: their events driven directly with real logs and real modules/optimizers, then
end-to-end through Model.fit on small real problems (a few seconds in all)."""

from __future__ import annotations

import csv
import math
import os

import numpy as np
import pytest
import torch

from glassnet import layers
from glassnet.callbacks import (EVENTS, CallbackList, CSVLogger, EarlyStopping, LambdaCallback,
                                LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)
from glassnet.errors import NaNLossError, UnknownNameError
from glassnet.models import Sequential
from glassnet.optimizers import SGD, Adam
from glassnet.optimizers.schedules import ExponentialDecay


# ---- helpers -------------------------------------------------------------------------------------
class Holder(torch.nn.Module):
    """A real module standing in for the model: state_dict/load_state_dict, stop_training, optimizer."""

    def __init__(self, optimizer=None):
        super().__init__()
        self.dense = torch.nn.Linear(3, 2)
        self.register_buffer("running", torch.zeros(2))
        self.stop_training = False
        self.optimizer = optimizer
        self.saved: list[tuple[str, str]] = []

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def _run_epochs(callback, values, monitor="val_loss", model=None, before_epoch_end=None):
    """Drive a callback like fit does, stopping when it asks to; returns the epochs run."""
    model = model if model is not None else Holder()
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        if before_epoch_end:
            before_epoch_end(epoch, model)
        callback.on_epoch_end(epoch, {"loss": 1.0, monitor: value})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return ran


def _mlp(seed=0, out=2, activation="softmax"):
    torch.manual_seed(seed)
    return Sequential([layers.Input((10,)), layers.Dense(32, activation="relu"), layers.Dense(out, activation=activation)])


def _random_labels(n=96, seed=0):
    """Labels that are pure noise: the validation loss rises within a few epochs (the model memorises)."""
    rng = np.random.RandomState(seed)
    return rng.randn(n, 10).astype("float32"), rng.randint(0, 2, n).astype("int64")


# ---- EarlyStopping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("monitor, mode", [("val_loss", "min"), ("loss", "min"), ("val_accuracy", "max"),
                                           ("auc", "max"), ("val_precision", "max"), ("recall", "max"),
                                           ("val_mae", "min"), ("sparse_categorical_accuracy", "max")])
def test_auto_mode_from_metric_name(monitor, mode):
    assert EarlyStopping(monitor=monitor).mode == mode
    assert ReduceLROnPlateau(monitor=monitor).mode == mode
    assert ModelCheckpoint("x", monitor=monitor).mode == mode


def test_bad_mode_is_an_error():
    with pytest.raises(ValueError, match="'auto', 'min' or 'max'"):
        EarlyStopping(mode="minimum")


def test_early_stopping_patience_and_min_delta():
    # best at epoch 1; epochs 2 and 3 do not improve: patience 2 stops at epoch 3
    stopper = EarlyStopping(patience=2)
    assert _run_epochs(stopper, [1.0, 0.5, 0.6, 0.55, 0.1, 0.1]) == 4
    assert stopper.stopped_epoch == 3 and stopper.best == 0.5 and stopper.best_epoch == 1
    # improvements smaller than min_delta do not count
    stopper = EarlyStopping(patience=1, min_delta=0.1)
    assert _run_epochs(stopper, [1.0, 0.95, 0.5]) == 2
    # max mode
    stopper = EarlyStopping(monitor="val_accuracy", patience=0)
    assert _run_epochs(stopper, [0.5, 0.7, 0.6, 0.9], monitor="val_accuracy") == 3


def test_early_stopping_baseline_and_start_from_epoch():
    # improves but never beats the baseline: the wait is never reset, stops after `patience` epochs
    stopper = EarlyStopping(patience=2, baseline=0.1)
    assert _run_epochs(stopper, [1.0, 0.9, 0.8, 0.7, 0.6]) == 2
    stopper = EarlyStopping(patience=3, baseline=0.85)  # beaten at epoch 2: the wait restarts
    assert _run_epochs(stopper, [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8]) == 6
    # epochs before start_from_epoch are ignored entirely
    stopper = EarlyStopping(patience=0, start_from_epoch=3)
    assert _run_epochs(stopper, [1.0, 2.0, 3.0, 0.5, 0.6, 0.1]) == 5


def test_early_stopping_warns_with_available_keys_and_does_not_crash():
    stopper = EarlyStopping(monitor="val_loss")
    stopper.set_model(Holder())
    stopper.on_train_begin()
    with pytest.warns(RuntimeWarning, match=r"'val_loss'.*Available: accuracy, loss.*validation_data"):
        stopper.on_epoch_end(0, {"loss": 0.3, "accuracy": 0.9})
    assert not stopper.model.stop_training


def test_restore_best_weights_restores_a_copy_of_the_best_epoch():
    model = Holder()
    snapshots = {}

    def change_weights(epoch, m):
        with torch.no_grad():
            m.dense.weight.fill_(float(epoch))
            m.running.fill_(10.0 + epoch)
        snapshots[epoch] = {k: v.clone() for k, v in m.state_dict().items()}

    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    ran = _run_epochs(stopper, [1.0, 0.2, 0.5, 0.4, 0.3], model=model, before_epoch_end=change_weights)
    assert ran == 4  # stopped early at epoch 3
    for key, value in model.state_dict().items():  # in-place updates after epoch 1 did not leak into the copy
        torch.testing.assert_close(value, snapshots[1][key])
    # also restored when training runs to the end without stopping
    model = Holder()
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    assert _run_epochs(stopper, [1.0, 0.2, 0.5], model=model, before_epoch_end=change_weights) == 3
    torch.testing.assert_close(model.dense.weight, torch.full((2, 3), 1.0))


def test_early_stopping_state_survives_resume():
    first = EarlyStopping(patience=3, restore_best_weights=True)
    model = Holder()
    _run_epochs(first, [1.0, 0.5, 0.7])  # best 0.5, waited 1 epoch
    state = first.state_dict()
    resumed = EarlyStopping(patience=3, restore_best_weights=True)
    resumed.load_state_dict(state)
    resumed.set_model(model)
    resumed.on_train_begin()  # must not wipe the loaded state
    stopped_at = None
    for epoch, value in [(3, 0.8), (4, 0.9)]:
        resumed.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            stopped_at = epoch
            break
    assert stopped_at == 4 and resumed.best == 0.5
    # a fresh fit (no load) starts over
    resumed.on_train_begin()
    assert resumed.wait == 0 and resumed.best == math.inf


# ---- ModelCheckpoint --------------------------------------------------------------------------------
def test_checkpoint_formats_path_and_creates_folders(tmp_path):
    model = Holder()
    cb = ModelCheckpoint(str(tmp_path / "run" / "{epoch:02d}-{val_loss:.2f}.gn"))
    _run_epochs(cb, [0.5, 0.25], model=model)
    assert model.saved == [("model", str(tmp_path / "run" / "01-0.50.gn")),
                           ("model", str(tmp_path / "run" / "02-0.25.gn"))]
    assert (tmp_path / "run").is_dir()


def test_checkpoint_save_best_only_and_weights_only(tmp_path):
    model = Holder()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}.w"), save_best_only=True, save_weights_only=True)
    _run_epochs(cb, [0.5, 0.6, 0.4, 0.4], model=model)
    assert [p for _, p in model.saved] == [str(tmp_path / "e1.w"), str(tmp_path / "e3.w")]
    assert {kind for kind, _ in model.saved} == {"weights"}
    model = Holder()
    cb = ModelCheckpoint(str(tmp_path / "t.w"), save_best_only=True, initial_value_threshold=0.45)
    _run_epochs(cb, [0.5, 0.6, 0.4], model=model)
    assert len(model.saved) == 1


def test_checkpoint_unknown_field_lists_available_ones(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{epoch}-{val_acc:.2f}.gn"))
    with pytest.raises(UnknownNameError, match=r"\{val_acc\}.*Available fields: epoch, loss, val_loss"):
        _run_epochs(cb, [0.5])


def test_checkpoint_every_n_batches(tmp_path):
    model = Holder()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.gn"), save_freq=3)
    assert cb._implements_batch_hooks and not ModelCheckpoint("x")._implements_batch_hooks
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(2):
        cb.on_epoch_begin(epoch)
        for batch in range(4):
            cb.on_train_batch_end(batch, {"loss": 0.1})
        cb.on_epoch_end(epoch, {"loss": 0.1})
    assert [os.path.basename(p) for _, p in model.saved] == ["e1-b3.gn", "e2-b2.gn"]
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("x", save_freq="batch")


# ---- learning-rate callbacks ------------------------------------------------------------------------
def _bound(optimizer):
    optimizer.build([torch.nn.Parameter(torch.zeros(2))])
    return optimizer


def test_reduce_lr_on_plateau_patience_cooldown_min_lr():
    optimizer = _bound(SGD(learning_rate=1.0))
    model = Holder(optimizer)
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.2)
    seen = []
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        seen.append(logs["learning_rate"])  # the rate the epoch trained with, as Keras logs it
    # reductions after epochs 2, 5, 8: 1 -> .5 -> .25 -> .2 (min_lr). As in Keras, the cooldown is counted
    # down at the start of the epoch check, so cooldown=2 holds the wait for one epoch.
    assert seen == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    assert optimizer.torch_optimizer.param_groups[0]["lr"] == 0.2


def test_reduce_lr_improvement_resets_the_wait_and_state_round_trips():
    optimizer = _bound(SGD(learning_rate=1.0))
    cb = ReduceLROnPlateau(factor=0.1, patience=2)
    _run_epochs(cb, [1.0, 1.0, 0.5, 0.5], model=Holder(optimizer))
    assert optimizer.learning_rate == 1.0 and cb.wait == 1
    again = ReduceLROnPlateau(factor=0.1, patience=2)
    again.load_state_dict(cb.state_dict())
    again.set_model(Holder(optimizer))
    again.on_train_begin()
    again.on_epoch_end(4, {"val_loss": 0.5})
    assert optimizer.learning_rate == pytest.approx(0.1)


def test_lr_callbacks_refuse_to_fight_a_schedule():
    optimizer = _bound(SGD(learning_rate=ExponentialDecay(0.1, 10, 0.5)))
    with pytest.raises(ValueError, match="schedule"):
        _run_epochs(ReduceLROnPlateau(patience=0), [1.0, 1.0], model=Holder(optimizer))
    with pytest.raises(ValueError, match="factor must be < 1"):
        ReduceLROnPlateau(factor=2.0)


def test_learning_rate_scheduler_one_and_two_argument_schedules():
    optimizer = _bound(Adam(learning_rate=0.1))
    cb = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    cb.set_model(Holder(optimizer))
    rates = []
    for epoch in range(3):
        cb.on_epoch_begin(epoch)
        logs = {}
        cb.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    assert rates == pytest.approx([0.1, 0.05, 0.025])
    cb = LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    cb.set_model(Holder(optimizer))
    cb.on_epoch_begin(2)
    assert optimizer.torch_optimizer.param_groups[0]["lr"] == pytest.approx(0.03)
    cb = LearningRateScheduler(lambda epoch: "fast")
    cb.set_model(Holder(optimizer))
    with pytest.raises(ValueError, match="must return a number"):
        cb.on_epoch_begin(0)


# ---- CSVLogger, TerminateOnNaN, LambdaCallback --------------------------------------------------------
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_rows_flushed_each_epoch_and_append(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path, separator=";")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.75})
    # readable before training ends; no val_ values yet, so val_ columns are made for later epochs
    assert _read_csv(path, ";") == [["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
                                    ["0", "0.75", "0.5", "NA", "NA"]]
    logger.on_epoch_end(1, {"loss": 0.25, "accuracy": 1.0, "val_loss": 0.3, "val_accuracy": 0.5})
    logger.on_train_end()
    logger = CSVLogger(path, separator=";", append=True)
    logger.on_train_begin()
    logger.on_epoch_end(2, {"loss": 0.125, "accuracy": 1.0, "val_loss": 0.2, "val_accuracy": 0.5})
    logger.on_train_end()
    rows = _read_csv(path, ";")
    assert len(rows) == 4 and rows[0][0] == "epoch" and rows[3] == ["2", "1.0", "0.125", "0.5", "0.2"]


def test_terminate_on_nan_and_inf():
    for bad in (float("nan"), float("inf")):
        model = Holder()
        cb = TerminateOnNaN()
        cb.set_model(model)
        cb.on_train_batch_end(0, {"loss": 1.0})
        assert not model.stop_training
        cb.on_train_batch_end(1, {"loss": bad})
        assert model.stop_training


def test_lambda_callback_every_event_and_batch_hook_detection():
    calls = []
    recorders = {event: (lambda *args, _e=event: calls.append((_e, args))) for event in EVENTS}
    cb = LambdaCallback(**recorders)
    for event in EVENTS:
        getattr(CallbackList([cb]), event)(*(() if event.endswith(("begin", "end")) and "epoch" not in event
                                             and "batch" not in event else (7,)))
    assert [c[0] for c in calls] == list(EVENTS)
    assert CallbackList([LambdaCallback(on_batch_end=lambda b, l: None)]).wants_batch_events
    assert not CallbackList([LambdaCallback(on_epoch_end=lambda e, l: None)]).wants_batch_events
    with pytest.raises(UnknownNameError, match="on_epoch_finish.*on_epoch_end"):
        LambdaCallback(on_epoch_finish=print)


# ---- end to end through Model.fit ---------------------------------------------------------------------
def test_fit_early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights():
    x, y = _random_labels()
    xv, yv = _random_labels(64, seed=1)
    model = _mlp()
    model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy")
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, validation_data=(xv, yv), epochs=40, batch_size=32, verbose=0, callbacks=[stopper])
    val = history.history["val_loss"]
    best = int(np.argmin(val))
    assert len(val) < 40, "noise labels: the validation loss should stop improving"
    assert len(val) == best + 3 and stopper.stopped_epoch == best + 2 and stopper.best_epoch == best
    # the model now holds the best epoch's weights: its validation loss is the best one
    assert model.evaluate(xv, yv, batch_size=32, verbose=0) == pytest.approx(val[best], rel=1e-5)


def test_fit_model_checkpoint_best_only_writes_on_improvement(tmp_path):
    x, y = _random_labels()
    xv, yv = _random_labels(64, seed=1)
    model = _mlp()
    model.compile(optimizer=Adam(0.01), loss="sparse_categorical_crossentropy")
    cb = ModelCheckpoint(str(tmp_path / "best-{epoch:02d}.weights"), save_best_only=True, save_weights_only=True)
    history = model.fit(x, y, validation_data=(xv, yv), epochs=8, batch_size=32, verbose=0, callbacks=[cb])
    val = history.history["val_loss"]
    improving = [e for e in range(len(val)) if val[e] < min(val[:e], default=math.inf)]
    assert sorted(os.listdir(tmp_path)) == [f"best-{e + 1:02d}.weights" for e in improving]
    assert len(improving) < len(val)  # it did skip epochs
    model.load_weights(str(tmp_path / f"best-{improving[-1] + 1:02d}.weights"))
    assert model.evaluate(xv, yv, batch_size=32, verbose=0) == pytest.approx(min(val), rel=1e-5)


def test_fit_reduce_lr_on_plateau_lowers_the_optimizer_rate():
    x, y = _random_labels()
    xv, yv = _random_labels(64, seed=1)
    model = _mlp()
    model.compile(optimizer=SGD(0.5), loss="sparse_categorical_crossentropy")
    logged = []
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=0.0)
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: logged.append(logs["learning_rate"]))
    history = model.fit(x, y, validation_data=(xv, yv), epochs=8, batch_size=32, verbose=0, callbacks=[cb, record])
    val, best, lr, expected = history.history["val_loss"], math.inf, 0.5, []
    for value in val:  # ReduceLROnPlateau's rule (patience 1, no cooldown), replayed on the logged losses
        expected.append(lr)
        lr = lr if value < best else lr * 0.5
        best = min(best, value)
    assert logged == pytest.approx(expected)
    assert model.optimizer.learning_rate == pytest.approx(lr) and lr < 0.5


def test_fit_csv_logger_matches_history(tmp_path):
    x, y = _random_labels()
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path / "training.csv"
    history = model.fit(x, y, validation_split=0.25, epochs=3, batch_size=32, verbose=0, callbacks=[CSVLogger(path)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for column, key in enumerate(rows[0][1:], start=1):
        assert [float(r[column]) for r in rows[1:]] == pytest.approx(history.history[key])


def test_fit_terminate_on_nan_stops_at_the_first_bad_batch():
    rng = np.random.RandomState(0)
    x, y = rng.randn(256, 10).astype("float32") * 100, rng.randn(256, 1).astype("float32") * 100
    model = _mlp(out=1, activation=None)
    model.compile(optimizer=SGD(1e6), loss="mse")
    batches = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(logs["loss"]))
    model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[TerminateOnNaN(), record])
    assert model.stop_training
    assert not math.isfinite(batches[-1]) and all(math.isfinite(v) for v in batches[:-1])
    assert len(batches) < 5 * 16


def test_batch_logs_are_built_only_when_a_callback_reads_them():
    import numpy as np
    from glassnet.callbacks import Callback
    from glassnet.layers import Dense
    from glassnet.models import Sequential

    class Seen(Callback):
        def __init__(self, reads: bool):
            super().__init__()
            self.reads_batch_logs = reads
            self.logs: list[dict] = []

        def on_train_batch_end(self, batch, logs=None):
            self.logs.append(dict(logs))

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    ignoring = Seen(reads=False)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[ignoring])
    assert ignoring.logs == [{}, {}]  # nobody reads them: no per-step copy to the host
    reading = Seen(reads=True)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[ignoring, reading])
    assert [set(logs) for logs in reading.logs] == [{"loss"}, {"loss"}] and ignoring.logs[2]["loss"] > 0
