"""Running a module in inference mode for a moment, and putting it back.

>>> import torch
>>> net = torch.nn.Dropout(0.5)
>>> with evaluating(net):
...     net.training
False
>>> net.training
True
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


@contextlib.contextmanager
def evaluating(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """``module`` in eval mode inside the block; each submodule's own training flag is restored
    afterwards, also when the block raises.

    >>> net = torch.nn.Sequential(torch.nn.BatchNorm1d(2)); _ = net[0].eval()
    >>> with evaluating(net):
    ...     pass
    >>> net.training, net[0].training
    (True, False)
    """
    with training_mode(module, False):
        yield module


@contextlib.contextmanager
def training_mode(module: torch.nn.Module, training: bool | None) -> Iterator[torch.nn.Module]:
    """``module`` in training (True) or inference (False) mode inside the block, restored after;
    ``None`` leaves it as it is. This is Keras' ``layer(x, training=...)``.

    >>> net = torch.nn.Dropout(0.5).eval()
    >>> with training_mode(net, True):
    ...     net.training
    True
    >>> net.training
    False
    """
    if training is None:
        yield module
        return
    flags = [(m, m.training) for m in module.modules()]
    module.train(bool(training))
    try:
        yield module
    finally:
        for m, flag in flags:
            m.training = flag
