"""``timeseries_dataset_from_array``: sliding windows over a series, as a batch pipeline (Keras' semantics).

Window ``i`` starts at ``start_index + i * sequence_stride`` and takes
``sequence_length`` steps ``sampling_rate`` apart; its target is
``targets[start_index + i * sequence_stride]`` — the target of the window's
first step, so to predict the value that follows a window, pass
``data[:-n]`` and ``targets=data[n:]`` (Keras' documented recipe).

>>> x, y = timeseries_windows(np.arange(10), np.arange(10) * 10, sequence_length=3, sequence_stride=4)
>>> x.tolist(), y.tolist()
([[0, 1, 2], [4, 5, 6]], [0, 40])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassnet.datasets.pipeline import TensorDataset
from glassnet.errors import InvalidArgumentError


def _window_starts(n: int, targets: Any, sequence_length: int, sequence_stride: int, sampling_rate: int,
                   start_index: int | None, end_index: int | None) -> tuple[np.ndarray, int]:
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                        ("sampling_rate", sampling_rate)):
        if int(value) != value or value <= 0:
            raise InvalidArgumentError(f"timeseries_dataset_from_array: {name} must be a positive integer, "
                                       f"not {value!r}.")
    start = 0 if start_index is None else int(start_index)
    end = n if end_index is None else int(end_index)
    if not 0 <= start < n:
        raise InvalidArgumentError(f"timeseries_dataset_from_array: start_index={start_index} must be in "
                                   f"0..{n - 1} (the data has {n} steps).")
    if not start < end <= n:
        raise InvalidArgumentError(f"timeseries_dataset_from_array: end_index={end_index} must be above "
                                   f"start_index={start} and at most {n} (the data has {n} steps).")
    count = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:  # Keras: fewer targets than steps means fewer windows
        count = min(count, len(targets) - start)
    if count <= 0:
        raise InvalidArgumentError(
            f"timeseries_dataset_from_array: steps {start}..{end} hold no window of {sequence_length} steps "
            f"{sampling_rate} apart (a window spans {(sequence_length - 1) * sampling_rate + 1} steps). Use a "
            "shorter sequence_length or sampling_rate, or more data.")
    return np.arange(0, count, sequence_stride), start


def timeseries_windows(data: Any, targets: Any = None, sequence_length: int = 1, sequence_stride: int = 1,
                       sampling_rate: int = 1, start_index: int | None = None, end_index: int | None = None,
                       ) -> tuple[np.ndarray, np.ndarray | None]:
    """All windows as arrays ``(x, y)``: x (windows, sequence_length, *features), y one target per window
    (None without targets) — the same windows as :func:`timeseries_dataset_from_array`, unbatched.

    >>> x, _ = timeseries_windows(np.arange(6), sequence_length=2, sampling_rate=2)
    >>> x.tolist()
    [[0, 2], [1, 3], [2, 4], [3, 5]]
    """
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    starts, start = _window_starts(len(data), targets, sequence_length, sequence_stride, sampling_rate,
                                   start_index, end_index)
    steps = np.arange(sequence_length) * sampling_rate
    x = data[start + starts[:, None] + steps[None, :]]
    y = None if targets is None else targets[start + starts]
    return x, y


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: int = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None, device: Any = None) -> TensorDataset:
    """Keras' ``timeseries_dataset_from_array``: batches of ``(windows, targets)`` (or windows only when
    ``targets`` is None); windows are float32 (batch, sequence_length, *features).

    ``shuffle`` orders the windows at random (seeded by ``seed``) and again
    each epoch. The windows are gathered once into one tensor on the device.

    >>> ds = timeseries_dataset_from_array(np.arange(100), None, sequence_length=10, sampling_rate=2,
    ...                                    sequence_stride=3, batch_size=4)
    >>> first = next(iter(ds)); first[0].tolist(), first.shape
    ([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0], torch.Size([4, 10]))
    """
    if batch_size is None:
        raise InvalidArgumentError("timeseries_dataset_from_array(batch_size=None): glassnet datasets are "
                                   "batched. Give a batch size, or use timeseries_windows(...) for all windows "
                                   "as arrays.")
    x, y = timeseries_windows(data, targets, sequence_length, sequence_stride, sampling_rate, start_index,
                              end_index)
    if shuffle:  # Keras shuffles the window order once with NumPy's seeded generator, then per epoch
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        order = np.random.RandomState(seed).permutation(len(x))
        x, y = x[order], (None if y is None else y[order])
    return TensorDataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, label_mode=None, device=device)


__all__ = ["timeseries_dataset_from_array", "timeseries_windows"]
