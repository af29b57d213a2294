"""Every callback event during fit / evaluate / predict, in order (the Lightning-style hook test)."""

import numpy as np

from glassnet.callbacks import EVENTS, Callback
from glassnet.layers import Dense, Input
from glassnet.models import Sequential


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []


def _recording(event):
    def record(self, *args, **kwargs):
        self.calls.append((event, args[0]) if args and isinstance(args[0], int) else (event,))
    return record


for _event in EVENTS:
    setattr(Recorder, _event, _recording(_event))


def _model():
    model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _epoch(e):
    return [("on_epoch_begin", e),
            ("on_train_batch_begin", 0), ("on_train_batch_end", 0),
            ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
            ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_end",),
            ("on_epoch_end", e)]


def test_fit_events_in_order():
    x, y = np.zeros((4, 3), "float32"), np.array([0, 1, 0, 1])
    recorder = Recorder()
    _model().fit(x, y, batch_size=2, epochs=2, validation_data=(x[:2], y[:2]), callbacks=[recorder], verbose=0)
    assert recorder.calls == [("on_train_begin",), *_epoch(0), *_epoch(1), ("on_train_end",)]


def test_evaluate_and_predict_events_in_order():
    x, y = np.zeros((4, 3), "float32"), np.array([0, 1, 0, 1])
    model, recorder = _model(), Recorder()
    model.evaluate(x, y, batch_size=2, callbacks=[recorder], verbose=0)
    model.predict(x, batch_size=2, callbacks=[recorder], verbose=0)
    assert recorder.calls == [
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0),
        ("on_test_batch_begin", 1), ("on_test_batch_end", 1), ("on_test_end",),
        ("on_predict_begin",), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 0),
        ("on_predict_batch_begin", 1), ("on_predict_batch_end", 1), ("on_predict_end",)]


def test_callback_can_stop_training_cleanly():
    class StopAfterOne(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    x, y = np.zeros((4, 3), "float32"), np.array([0, 1, 0, 1])
    history = _model().fit(x, y, epochs=10, callbacks=[StopAfterOne()], verbose=0)
    assert history.epoch == [0]
