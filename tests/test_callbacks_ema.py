"""ExponentialMovingAverage: the average a numpy loop computes from the weights after each batch."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.callbacks import ExponentialMovingAverage, LambdaCallback
from glassnet.errors import InvalidArgumentError
from glassnet.layers import BatchNormalization, Dense
from glassnet.models import Sequential


def weights(model) -> list[np.ndarray]:
    return [t.detach().clone().numpy() for t in model.parameters()]


def statistics(model) -> list[np.ndarray]:
    return [t.detach().clone().numpy() for t in model.buffers() if t.is_floating_point()]


def trained(callback: ExponentialMovingAverage, after: list | None = None):
    """A small model with batch norm fitted for 8 batches; the weights seen after each batch before the EMA
    callback ran (and, in ``after``, once it ran)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    model = Sequential([Dense(4, input_dim=3), BatchNormalization(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    seen, seen_statistics = [], []
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # built, so the starting weights are the real ones
    start = weights(model)
    recorder = LambdaCallback(on_train_batch_end=lambda batch, logs: (seen.append(weights(model)),
                                                                      seen_statistics.append(statistics(model))))
    later = LambdaCallback(on_train_batch_end=lambda batch, logs: (after if after is not None else []).append(
        weights(model)))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[recorder, callback, later])
    return model, start, seen, seen_statistics


def test_the_model_ends_with_the_moving_average_of_its_weights():
    model, start, seen, seen_statistics = trained(ExponentialMovingAverage(momentum=0.8))
    expected = start
    for step in seen:
        expected = [0.8 * a + 0.2 * w for a, w in zip(expected, step)]
    assert len(seen) == 8
    for got, want in zip(weights(model), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(weights(model)[0], seen[-1][0])  # the average, not the last weights
    for got, last in zip(statistics(model), seen_statistics[-1]):  # batch-norm statistics: the live ones
        np.testing.assert_array_equal(got, last)


def test_overwrite_frequency_copies_the_average_into_the_model_lookahead_style():
    after: list = []
    callback = ExponentialMovingAverage(momentum=0.5, overwrite_frequency=4)
    model, start, seen, _ = trained(callback, after)
    average = start
    for step, (current, result) in enumerate(zip(seen, after), 1):
        average = [0.5 * a + 0.5 * w for a, w in zip(average, current)]
        kept = average if step % 4 == 0 else current  # every 4th batch the model continues from the average
        for got, want in zip(result, kept):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert callback.steps == 8


@pytest.mark.parametrize("kwargs, words", [({"momentum": 1.0}, "in [0, 1)"),
                                           ({"overwrite_frequency": 0}, "number of batches >= 1")])
def test_bad_arguments_say_what_to_use(kwargs, words):
    with pytest.raises(InvalidArgumentError, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        ExponentialMovingAverage(**kwargs)
