"""Callbacks: hooks into fit/evaluate/predict, Keras-compatible.

Subclass :class:`Callback` and override the events you need. During training
``self.model`` is the model being trained and ``self.params`` holds ``epochs``,
``steps`` (per epoch) and ``verbose``. ``logs`` are plain dicts of floats.

>>> class Count(Callback):
...     def __init__(self):
...         super().__init__(); self.batches = 0
...     def on_train_batch_end(self, batch, logs=None):
...         self.batches += 1
>>> Count().batches
0
"""

from __future__ import annotations

from typing import Any, Iterable

EVENTS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class; every event is a no-op until overridden."""

    #: True for callbacks that save the model (ModelCheckpoint): at each epoch end they run after the
    #: others, so the saved file holds every callback's state for that epoch (exact resume)
    saves_model: bool = False
    #: False for callbacks whose batch events ignore ``logs`` (the Monitor): when no callback reads
    #: them, the loop passes ``{}`` and skips copying the step's values to the host (a device sync)
    reads_batch_logs: bool = True
    #: True for callbacks that write files (CSV, TensorBoard logs): in a distributed fit only rank 0 runs
    #: them, like the savers
    writes_files: bool = False

    def __init__(self):
        self.model = None
        self.params: dict[str, Any] = {}

    def set_model(self, model) -> None:
        """Called by fit/evaluate/predict before any event."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """epochs, steps, verbose of the run about to start."""
        self.params = params

    def state_dict(self) -> dict[str, Any]:
        """What this callback needs to carry on after a checkpoint/resume ({} if stateless)."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the next ``fit`` continues from it instead of starting afresh."""

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    @property
    def _implements_batch_hooks(self) -> bool:
        """Whether any per-batch event is overridden (the loop skips building batch logs otherwise)."""
        names = [e for e in EVENTS if "batch" in e]
        return any(getattr(type(self), n) is not getattr(Callback, n) for n in names)


class CallbackList:
    """Dispatches each event to every callback, in order.

    >>> CallbackList([]).on_train_begin()
    """

    def __init__(self, callbacks: Iterable[Callback] = (), model=None, **params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if model is not None:
                cb.set_model(model)
            cb.set_params(params)

    @property
    def wants_batch_events(self) -> bool:
        """True if some callback listens to per-batch events."""
        return any(cb._implements_batch_hooks for cb in self.callbacks)

    @property
    def wants_batch_logs(self) -> bool:
        """True if some callback listening to per-batch events reads their ``logs``."""
        return any(cb._implements_batch_hooks and cb.reads_batch_logs for cb in self.callbacks)

    def __getattr__(self, event: str):
        if event not in EVENTS:
            raise AttributeError(event)

        takes_index = "batch" in event or "epoch" in event  # on_epoch_end(epoch, logs), not on_train_begin(logs)

        order = self.callbacks
        if event == "on_epoch_end":  # savers last: a checkpoint records the others' state of this epoch
            order = [cb for cb in order if not cb.saves_model] + [cb for cb in order if cb.saves_model]

        def dispatch(*args, **kwargs):
            args, kwargs = _with_logs(takes_index, args, kwargs)
            for cb in order:
                getattr(cb, event)(*args, **kwargs)

        return dispatch


def _with_logs(takes_index: bool, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The event's arguments with ``logs`` a dict, never None (Keras passes ``{}`` when it has none).

    >>> _with_logs(True, (3,), {})
    ((3, {}), {})
    """
    position = 1 if takes_index else 0
    if "logs" in kwargs:
        return args, {**kwargs, "logs": {} if kwargs["logs"] is None else kwargs["logs"]}
    if len(args) > position:
        return (*args[:position], {} if args[position] is None else args[position], *args[position + 1:]), kwargs
    return (*args, {}), kwargs


class History(Callback):
    """Records the epoch logs; ``fit`` returns it. ``history.history['loss']`` is the loss curve.

    >>> h = History(); h.on_train_begin(); h.on_epoch_end(0, {'loss': 0.5}); h.history
    {'loss': [0.5]}
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        # Keras keeps appending across repeated fit() calls on the same History
        self.epoch = self.epoch if self.history else []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
