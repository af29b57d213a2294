"""Probabilities that remember their logits, so crossentropy can be computed stably.

A layer ending in softmax (or sigmoid) returns probabilities, as Keras' do, and
attaches the pre-activation logits to that output tensor. A crossentropy loss
handed such a tensor uses the logits (``log_softmax``, one fused kernel) instead
of the log of rounded probabilities. Nothing is switched on layers and nothing
is remembered between calls: the decision is made per call, from the tensor the
loss receives. Keras 3 does the same (``_keras_logits``). An output that went
through another op (a slice, ``torch.compile``) simply has no logits attached,
and the loss falls back to Keras' clipped formula — same value, less stable.

>>> import torch
>>> z = torch.tensor([[2.0, -1.0]])
>>> p = attach(torch.softmax(z, -1), z, 'softmax')
>>> bool(torch.equal(of(p, 'softmax'), z)), of(p, 'sigmoid')
(True, None)
"""

from __future__ import annotations

from typing import Callable

import torch

_ATTRIBUTE = "_glassnet_logits"


def attach(probabilities: torch.Tensor, logits: torch.Tensor, activation: str) -> torch.Tensor:
    """Return ``probabilities`` carrying ``logits`` made by ``activation`` ('softmax'/'sigmoid').

    >>> z = torch.zeros(1, 2); attach(torch.sigmoid(z), z, 'sigmoid').shape
    torch.Size([1, 2])
    """
    setattr(probabilities, _ATTRIBUTE, (activation, logits))
    return probabilities


def of(tensor: torch.Tensor, activation: str) -> torch.Tensor | None:
    """The logits behind ``tensor`` if it is the direct output of ``activation``, else None.

    >>> of(torch.zeros(2), 'softmax') is None
    True
    """
    carried = getattr(tensor, _ATTRIBUTE, None)
    if carried is None or carried[0] != activation:
        return None
    return carried[1]


def carry(source: torch.Tensor, target: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor]
          ) -> torch.Tensor:
    """``target`` (a re-laid-out view of ``source``) with ``source``'s logits, transformed alike.

    >>> z = torch.zeros(1, 3, 2, 2); p = attach(torch.softmax(z, 1), z, 'softmax')
    >>> of(carry(p, p.movedim(1, -1), lambda t: t.movedim(1, -1)), 'softmax').shape
    torch.Size([1, 2, 2, 3])
    """
    carried = getattr(source, _ATTRIBUTE, None)
    if carried is not None:
        setattr(target, _ATTRIBUTE, (carried[0], transform(carried[1])))
    return target
