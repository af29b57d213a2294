"""ExponentialMovingAverage: train with a running average of the weights and keep the average.

Keras 3 offers the same as optimizer options (``use_ema``, ``ema_momentum``,
``ema_overwrite_frequency``); here it is a callback, so any optimizer can use it and
you can see what it does. After every training batch::

    average = momentum * average + (1 - momentum) * weights

and, every ``overwrite_frequency`` batches, ``weights = average`` (with a small
frequency this is Lookahead, as the airbench CIFAR-10 speedruns use it). When ``fit``
ends the model keeps the average (Keras' ``finalize_variable_values``). As in Keras, only the
weights are averaged: batch-norm moving statistics keep tracking the live weights (averaging them
too made a CIFAR-10 net's test accuracy fall from 33 % to 15 % after 80 Lookahead steps, while
its training accuracy was 35 %).

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> model = Sequential([Dense(1, input_dim=1, use_bias=False)])
>>> model.compile(optimizer='sgd', loss='mse')
>>> ema = ExponentialMovingAverage(momentum=0.5)
>>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=4, epochs=3, verbose=0, callbacks=[ema])
>>> ema.steps
3
"""

from __future__ import annotations

import torch

from glassnet.callbacks.base import Callback
from glassnet.errors import InvalidArgumentError


class ExponentialMovingAverage(Callback):
    """Keep an exponential moving average of the weights during ``fit``; the model ends with it.

    ``momentum`` near 1 averages over about ``1 / (1 - momentum)`` batches; ``overwrite_frequency=k``
    also copies the average into the model every ``k`` batches (Lookahead-style). ``None``: only at the end.

    >>> ExponentialMovingAverage(momentum=0.9, overwrite_frequency=5).overwrite_frequency
    5
    """

    def __init__(self, momentum: float = 0.99, overwrite_frequency: int | None = None):
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise InvalidArgumentError(f"ExponentialMovingAverage(momentum={momentum}) must be in [0, 1): it is "
                                       "the weight of the old average at each batch (try 0.99).")
        if overwrite_frequency is not None and overwrite_frequency < 1:
            raise InvalidArgumentError(f"ExponentialMovingAverage(overwrite_frequency={overwrite_frequency}) must "
                                       "be a number of batches >= 1, or None to copy the average only at the end.")
        self.momentum, self.overwrite_frequency = float(momentum), overwrite_frequency
        self.average: list[torch.Tensor] = []
        self.steps = 0

    def _tensors(self) -> list[torch.Tensor]:
        """The model's weights (parameters; not buffers such as batch-norm moving statistics)."""
        return [p.data for p in self.model.parameters()]

    def on_train_begin(self, logs=None):
        self.average = [t.detach().clone() for t in self._tensors()]
        self.steps = 0

    @torch.no_grad()
    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        current = self._tensors()
        torch._foreach_lerp_(self.average, current, 1.0 - self.momentum)
        if self.overwrite_frequency and self.steps % self.overwrite_frequency == 0:
            torch._foreach_copy_(current, self.average)

    @torch.no_grad()
    def on_train_end(self, logs=None):
        if self.average:
            torch._foreach_copy_(self._tensors(), self.average)
