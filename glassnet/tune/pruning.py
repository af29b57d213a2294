"""Stop a hopeless trial early: a glassnet callback that reports each epoch's metric to Optuna.

At the end of every epoch, :class:`PruningCallback` calls ``trial.report(value, epoch)``; when the
study's pruner (median, ASHA...) says this trial is worse than the others were at the same epoch
(``trial.should_prune()``), it sets ``model.stop_training`` so ``fit`` returns cleanly, and remembers
the epoch. The objective then raises ``optuna.TrialPruned`` (:meth:`PruningCallback.raise_if_pruned`)
and Optuna marks the trial PRUNED.

>>> import optuna
>>> study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1.0))
>>> class FakeModel:  # fit passes the real model
...     stop_training = False
>>> callback = PruningCallback(study.ask(), monitor='val_loss'); callback.set_model(FakeModel())
>>> callback.on_epoch_end(0, {'val_loss': 0.8}); callback.pruned_epoch is None
True
>>> callback.on_epoch_end(1, {'val_loss': 2.5}); callback.model.stop_training, callback.pruned_epoch
(True, 1)
"""

from __future__ import annotations

import math
from typing import Any

import optuna

from glassnet.callbacks import Callback
from glassnet.errors import UnknownNameError


class PruningCallback(Callback):
    """Report ``logs[monitor]`` to ``trial`` after each epoch; stop ``fit`` when the pruner says so.

    Use it in your own Optuna objective too::

        callback = PruningCallback(trial, monitor='val_accuracy')
        model.fit(x, y, validation_data=(xv, yv), epochs=20, callbacks=[callback])
        callback.raise_if_pruned()          # optuna.TrialPruned if the pruner stopped it
    """

    reads_batch_logs = False  # epoch logs only: the loop need not copy each step's values to the host

    def __init__(self, trial: optuna.Trial, monitor: str = "val_loss"):
        super().__init__()
        self.trial, self.monitor = trial, monitor
        self.pruned_epoch: int | None = None
        self.epochs_done = 0

    def on_train_begin(self, logs=None):
        self.pruned_epoch, self.epochs_done = None, 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None):
        logs = logs or {}
        self.epochs_done = epoch + 1
        if self.monitor not in logs:
            raise UnknownNameError(
                f"PruningCallback monitors '{self.monitor}', which fit did not log at epoch {epoch + 1}. Logged: "
                f"{', '.join(sorted(logs)) or '(none)'}. Pick one of those (val_ names need validation data).")
        value = float(logs[self.monitor])
        if not math.isfinite(value):  # a diverged run: nothing to compare, stop it now
            self._prune(epoch)
            return
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self._prune(epoch)

    def _prune(self, epoch: int) -> None:
        self.pruned_epoch = epoch
        self.model.stop_training = True

    @property
    def pruned(self) -> bool:
        """Whether the pruner stopped this trial."""
        return self.pruned_epoch is not None

    def raise_if_pruned(self) -> None:
        """Raise ``optuna.TrialPruned`` (which Optuna records as PRUNED) if the pruner stopped the trial."""
        if self.pruned:
            raise optuna.TrialPruned(f"pruned after epoch {self.pruned_epoch + 1}: '{self.monitor}' was worse "
                                     "than the other trials at that epoch")
