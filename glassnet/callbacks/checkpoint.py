"""ModelCheckpoint: save the model (or its weights) during training.

>>> from glassnet.callbacks import ModelCheckpoint
>>> ModelCheckpoint('ckpt/{epoch:02d}-{val_loss:.2f}.gn', save_best_only=True).mode
'min'
"""

from __future__ import annotations

import os
from typing import Any

from glassnet.callbacks._monitor import improved, monitored_value, resolve_mode, worst
from glassnet.callbacks.base import Callback
from glassnet.errors import DataFileError, UnknownNameError


class ModelCheckpoint(Callback):
    """Save with ``model.save(path)`` (or ``model.save_weights(path)``) every epoch or every
    ``save_freq`` batches (Keras' arguments).

    ``filepath`` may hold format fields filled from the epoch (counted from 1), the batch (with an
    integer ``save_freq``) and the logs: ``'ckpt/{epoch:02d}-{val_loss:.2f}.gn'``. Missing folders
    are created. With ``save_best_only`` it saves only when ``monitor`` improves on the best value
    so far (or on ``initial_value_threshold``); the model's own save is atomic, so an interrupted
    run never leaves a half-written "best" file.

    >>> import tempfile, os
    >>> class FakeModel:  # fit passes the real model, which has save() and save_weights()
    ...     def save(self, path): open(path, 'w').close()
    >>> folder = tempfile.mkdtemp()
    >>> cb = ModelCheckpoint(os.path.join(folder, 'e{epoch}.gn'), monitor='loss', save_best_only=True)
    >>> cb.set_model(FakeModel()); cb.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 1.0, 0.7]):
    ...     cb.on_epoch_end(epoch, {'loss': loss})
    >>> sorted(os.listdir(folder))
    ['e1.gn', 'e3.gn']
    """

    saves_model = True

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.mode = resolve_mode(monitor, mode, "ModelCheckpoint")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, "
                             f"got {save_freq!r}.")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = worst(self.mode) if initial_value_threshold is None else float(initial_value_threshold)
        self._batches_seen = 0
        self._current_epoch = 0
        self._resumed = False

    def on_train_begin(self, logs=None):
        if not self._resumed:
            self._batches_seen = 0
        self._resumed = False

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save(self._current_epoch, batch, logs)

    @property
    def _implements_batch_hooks(self) -> bool:
        return self.save_freq != "epoch"  # per-batch logs cost a device sync: only ask when needed

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _save(self, epoch: int, batch: int | None, logs: dict[str, Any] | None) -> None:
        logs = dict(logs or {})
        path = self._format_path(epoch, batch, logs)
        if self.save_best_only:
            current = monitored_value(logs, self.monitor, "ModelCheckpoint(save_best_only=True)")
            if current is None:
                return
            if not improved(current, self.best, self.mode):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if os.path.isdir(path):
            raise DataFileError(f"ModelCheckpoint filepath '{path}' is an existing folder; give a file "
                                    "name, e.g. 'ckpt/model-{epoch:02d}.gn'.")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _format_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        fields = {**logs, "epoch": epoch + 1}
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as missing:
            raise UnknownNameError(
                f"ModelCheckpoint filepath '{self.filepath}' uses {{{missing.args[0]}}}, which is not in the "
                f"logs. Available fields: {', '.join(sorted(fields))}.") from None
        except (ValueError, IndexError) as bad:
            raise ValueError(f"ModelCheckpoint cannot fill in filepath '{self.filepath}': {bad}. Fields look "
                             "like {epoch:02d} or {val_loss:.2f}.") from None

    def state_dict(self) -> dict[str, Any]:
        """The best value so far and the batch counter."""
        return {"best": self.best, "batches_seen": self._batches_seen}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self._batches_seen = float(state["best"]), int(state["batches_seen"])
        self._resumed = True
