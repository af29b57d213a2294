"""timeseries_dataset_from_array against Keras 3 (tests/fixtures/keras_text.json) and its documented examples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glassnet.errors import InvalidArgumentError
from glassnet.utils import timeseries_dataset_from_array, timeseries_windows

KERAS = json.loads((Path(__file__).parent / "fixtures" / "keras_text.json").read_text())
DATA = np.arange(100)


def _batches(ds):
    xs, ys = [], []
    for batch in ds:
        x, y = batch if isinstance(batch, tuple) else (batch, None)
        xs.append(x.numpy().tolist())
        if y is not None:
            ys.append(y.numpy().tolist())
    return dict(x=xs, y=ys)


@pytest.mark.parametrize("case, kwargs", [
    ("ts1", dict(data=DATA, targets=None, sequence_length=10, sampling_rate=2, sequence_stride=3, batch_size=4)),
    ("ts2", dict(data=DATA[:-10], targets=DATA[10:], sequence_length=10, batch_size=32)),
    ("ts3", dict(data=np.arange(30).reshape(15, 2), targets=np.arange(15) * 10, sequence_length=4,
                 sequence_stride=2, sampling_rate=2, start_index=2, end_index=13, batch_size=3)),
])
def test_batches_match_keras(case, kwargs):
    assert _batches(timeseries_dataset_from_array(**kwargs)) == KERAS[case]


def test_windows_match_keras_unbatched_output():
    x, y = timeseries_windows(DATA[:20], None, sequence_length=5, start_index=5)
    assert x.tolist() == KERAS["ts4"]["x"] and y is None


def test_keras_documented_example_first_batch():
    # keras.io: sampling_rate=2, sequence_stride=3 -> first sequence [0, 2, ..., 18], second [3, 5, ..., 21]
    first = next(iter(timeseries_dataset_from_array(DATA, None, sequence_length=10, sampling_rate=2,
                                                    sequence_stride=3, batch_size=4)))
    assert first[0].tolist() == list(range(0, 20, 2)) and first[1].tolist() == list(range(3, 23, 2))


def test_fewer_targets_than_steps_give_fewer_windows_as_in_keras():
    x, y = timeseries_windows(DATA[:20], DATA[:5] * 10, sequence_length=3)
    assert len(x) == 5 and y.tolist() == [0, 10, 20, 30, 40] and x[-1].tolist() == [4, 5, 6]


def test_shuffle_is_seeded_and_keeps_each_window_with_its_target():
    kwargs = dict(data=DATA[:-3], targets=DATA[3:], sequence_length=3, batch_size=8, shuffle=True, seed=7)
    one, two = _batches(timeseries_dataset_from_array(**kwargs)), _batches(timeseries_dataset_from_array(**kwargs))
    assert one == two
    windows = np.concatenate([np.array(b) for b in one["x"]])
    targets = np.concatenate([np.array(b) for b in one["y"]])
    assert sorted(windows[:, 0].tolist()) == list(range(95))
    np.testing.assert_array_equal(targets, windows[:, 0] + 3)
    assert windows[:, 0].tolist() != sorted(windows[:, 0].tolist())


@pytest.mark.parametrize("kwargs, message", [
    (dict(sequence_length=0), "sequence_length must be a positive integer"),
    (dict(sequence_length=200), "hold no window of 200 steps"),
    (dict(sequence_length=3, start_index=100), "start_index=100"),
    (dict(sequence_length=3, end_index=101), "end_index=101"),
    (dict(sequence_length=3, batch_size=None), "timeseries_windows"),
])
def test_errors_say_what_to_do(kwargs, message):
    kwargs = {"data": DATA, "targets": None, **kwargs}
    with pytest.raises(InvalidArgumentError, match=message):
        timeseries_dataset_from_array(**kwargs)
