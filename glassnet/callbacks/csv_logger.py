"""CSVLogger: one CSV row per epoch, readable while training runs.

>>> from glassnet.callbacks import CSVLogger
>>> CSVLogger('training.csv').separator
','
"""

from __future__ import annotations

import collections.abc
import csv
import os
from typing import Any

from glassnet.callbacks.base import Callback


class CSVLogger(Callback):
    """Write ``epoch`` and the epoch logs (columns in sorted order) to ``filename``, flushed every epoch.

    The columns are fixed by the first epoch. As in Keras, if that epoch has no ``val_`` values
    (``validation_freq`` > 1), ``val_`` columns are added for each metric so later epochs fit;
    missing values are written as ``NA``. With ``append=True`` an existing file keeps its header and
    columns and new rows go at the end.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), 'log.csv')
    >>> logger = CSVLogger(path); logger.on_train_begin()
    >>> logger.on_epoch_end(0, {'loss': 0.5, 'val_loss': 0.6}); logger.on_train_end()
    >>> print(open(path).read().strip())
    epoch,loss,val_loss
    0,0.5,0.6
    """

    writes_files = True

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys: list[str] | None = None
        self._file = None
        self._writer: csv.DictWriter | None = None

    def on_train_begin(self, logs=None):
        self.keys, self._writer = None, None
        existing = self._existing_header() if self.append else None
        if existing:
            self.keys = [key for key in existing if key != "epoch"]
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._write_header = not existing

    def _existing_header(self) -> list[str] | None:
        if not os.path.exists(self.filename):
            return None
        with open(self.filename, newline="", encoding="utf-8") as f:
            return next(csv.reader(f, delimiter=self.separator), None)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys if key != "learning_rate"]
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys], delimiter=self.separator,
                                          extrasaction="ignore")
            if self._write_header:
                self._writer.writeheader()
        row: dict[str, Any] = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file, self._writer = None, None


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if getattr(value, "ndim", None) == 0:  # numpy/torch scalars
        return value.item()
    if isinstance(value, collections.abc.Iterable):
        return f"[{', '.join(str(v) for v in value)}]"
    return value
