"""Small callbacks: TerminateOnNaN and LambdaCallback.

>>> from glassnet.callbacks import LambdaCallback, TerminateOnNaN
>>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs))
>>> cb.on_epoch_end(0, {'loss': 0.25})
0 {'loss': 0.25}
"""

from __future__ import annotations

import math
from typing import Callable

from glassnet.callbacks.base import EVENTS, Callback
from glassnet.errors import UnknownNameError


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    It reads the loss after every batch, which makes the host wait for the device each step; the
    training loop also reports a NaN loss by itself at the end of an epoch.

    >>> class FakeModel: stop_training = False
    >>> cb = TerminateOnNaN(); cb.set_model(FakeModel())
    >>> cb.on_train_batch_end(3, {'loss': float('nan')})
    Batch 3: Invalid loss, terminating training
    >>> cb.model.stop_training
    True
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


_ALIASES = {"on_batch_begin": "on_train_batch_begin", "on_batch_end": "on_train_batch_end"}


class LambdaCallback(Callback):
    """A callback made of plain functions, one per event, called with the event's arguments:
    ``on_epoch_begin/on_epoch_end(epoch, logs)``, ``on_train_begin/on_train_end(logs)``,
    ``on_train_batch_begin/on_train_batch_end(batch, logs)``, and likewise every other event in
    :data:`glassnet.callbacks.EVENTS` (``on_batch_begin/end`` are Keras' aliases for the train-batch events).

    >>> losses = []
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs['loss']))
    >>> cb.on_epoch_end(0, {'loss': 0.5}); losses
    [0.5]
    """

    def __init__(self, on_epoch_begin: Callable | None = None, on_epoch_end: Callable | None = None,
                 on_train_begin: Callable | None = None, on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None, on_train_batch_end: Callable | None = None,
                 **other_events: Callable):
        super().__init__()
        given = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_train_begin": on_train_begin,
                 "on_train_end": on_train_end, "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, fn in other_events.items():
            event = _ALIASES.get(name, name)
            if event not in EVENTS:
                valid = ", ".join([*EVENTS, *_ALIASES])
                raise UnknownNameError(f"LambdaCallback got '{name}', which is not a callback event. "
                                       f"Valid events: {valid}.")
            given[event] = fn
        self._functions = {event: fn for event, fn in given.items() if fn is not None}
        for event, fn in self._functions.items():
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {event} must be a function, got {type(fn).__name__}.")
            setattr(self, event, fn)  # the instance attribute replaces the no-op method

    @property
    def _implements_batch_hooks(self) -> bool:
        return any("batch" in event for event in self._functions)
