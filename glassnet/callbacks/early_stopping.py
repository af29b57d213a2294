"""EarlyStopping: stop training when a monitored value stops improving.

>>> from glassnet.callbacks import EarlyStopping
>>> stopper = EarlyStopping(monitor='val_loss', patience=2)
>>> stopper.mode
'min'
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet.callbacks._monitor import improved, monitored_value, resolve_mode, worst
from glassnet.callbacks.base import Callback
from glassnet.errors import DataFileError


class EarlyStopping(Callback):
    """Stop ``fit`` once ``monitor`` has not improved for ``patience`` epochs (Keras' arguments).

    An epoch counts as an improvement when the value beats the best so far by more than
    ``min_delta``. With ``baseline``, the wait only restarts once the value also beats the baseline,
    so training stops if ``patience`` epochs pass without reaching it.
    Epochs before ``start_from_epoch`` are ignored (warm-up). With ``restore_best_weights``, the
    model's weights (its ``state_dict()``, buffers included) from the best epoch are copied aside
    and loaded back when training ends, whether it stopped early or not.

    >>> class FakeModel:  # any object with stop_training works; fit passes the real model
    ...     stop_training = False
    >>> stopper = EarlyStopping(monitor='loss', patience=1); stopper.set_model(FakeModel())
    >>> stopper.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.8, 0.9]):
    ...     stopper.on_epoch_end(epoch, {'loss': loss})
    >>> stopper.model.stop_training, stopper.stopped_epoch, stopper.best
    (True, 2, 0.8)
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0):
        super().__init__()
        self.monitor, self.min_delta, self.patience, self.verbose = monitor, abs(min_delta), patience, verbose
        self.mode = resolve_mode(monitor, mode, "EarlyStopping")
        self.baseline, self.restore_best_weights, self.start_from_epoch = baseline, restore_best_weights, start_from_epoch
        self.best_weights: dict[str, torch.Tensor] | None = None
        self._resumed = False
        self._reset()

    def _reset(self) -> None:
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = worst(self.mode)
        self.best_weights = None

    def on_train_begin(self, logs=None):
        if not self._resumed:  # a fresh fit starts over; a resumed one keeps the loaded state
            self._reset()
        self._resumed = False

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        kept_now = False
        if self.restore_best_weights and self.best_weights is None:
            self._keep_weights(epoch)  # until something improves, the first weights seen are the best
            kept_now = True
        self.wait += 1
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights and not kept_now:
                self._keep_weights(epoch)
            if self.baseline is None or improved(current, self.baseline, self.mode, self.min_delta):
                self.wait = 0
                return
            # improving but still short of the baseline: keeps counting towards patience (Keras' documented
            # behaviour; Keras 3 returns here, which makes a baseline inert while the value improves)
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)

    def _keep_weights(self, epoch: int) -> None:
        """Copy the model's weights aside, reusing the previous copy's memory when shapes match."""
        current = self.model.state_dict()
        kept = self.best_weights
        if kept is not None and kept.keys() == current.keys() and all(
                kept[k].shape == v.shape and kept[k].dtype == v.dtype for k, v in current.items()):
            for key, value in current.items():
                kept[key].copy_(value)
        else:
            self.best_weights = {key: value.detach().clone() for key, value in current.items()}
        self.best_epoch = epoch

    def state_dict(self) -> dict[str, Any]:
        """wait, best, best_epoch, stopped_epoch and (with restore_best_weights) the best weights."""
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.wait, self.best = int(state["wait"]), float(state["best"])
        self.best_epoch, self.stopped_epoch = int(state["best_epoch"]), int(state["stopped_epoch"])
        weights = state.get("best_weights")
        if weights is not None:
            own = self.model.state_dict() if self.model is not None else None
            if not isinstance(weights, dict) or not all(torch.is_tensor(v) for v in weights.values()) or (
                    own is not None and (weights.keys() != own.keys()
                                         or any(weights[k].shape != v.shape for k, v in own.items()))):
                raise DataFileError("EarlyStopping's saved best weights do not fit this model; the file was saved "
                                    "from another model or edited. Resume with restore_best_weights=False, or "
                                    "without initial_epoch.")
        self.best_weights = None if weights is None else {k: v.detach().clone() for k, v in weights.items()}
        self._resumed = True
