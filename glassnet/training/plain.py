"""``glassnet.fit``: Keras-style training for any plain ``torch.nn.Module``.

The module is trained in place; its inputs are passed as they are (PyTorch
layout, no (H, W, C) conversion).

>>> import numpy as np, torch
>>> net = torch.nn.Sequential(torch.nn.Linear(4, 2))
>>> history = fit(net, np.zeros((8, 4), 'float32'), np.zeros(8, 'int64'), optimizer='sgd',
...               loss='sparse_categorical_crossentropy', epochs=1, verbose=0)
>>> len(history.history['loss'])
1
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet.callbacks.base import History
from glassnet.models.model import Model


class TorchModule(Model):
    """A Model wrapping a plain ``nn.Module`` (kept as ``self.module``)."""

    def __init__(self, module: torch.nn.Module, name: str | None = None):
        super().__init__(name=name or type(module).__name__.lower())
        self.module = module
        self.data_format = "channels_first"  # PyTorch users pass tensors in torch layout
        self.built = True

    def call(self, inputs, *args, **kwargs):
        return self.module(inputs, *args, **kwargs)


def fit(module: torch.nn.Module, x=None, y=None, *, optimizer: Any = "adam", loss: Any = None,
        metrics: Any = None, device: Any = None, precision: str = "auto", compile: bool = False,
        **fit_kwargs) -> History:
    """Compile and fit ``module`` in one call; returns the ``History``. A glassnet model
    is compiled and fitted directly; any other module is wrapped in :class:`TorchModule`."""
    model = module if isinstance(module, Model) else TorchModule(module)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, device=device, precision=precision,
                  compile=compile)
    return model.fit(x, y, **fit_kwargs)
