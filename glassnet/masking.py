"""Masks that travel on tensors: which time steps are real and which are padding.

Keras 3's design: a layer that makes a mask (``Embedding(mask_zero=True)``, ``Masking``)
attaches it to its output tensor as ``tensor._keras_mask`` (a (batch, timesteps) bool
tensor, True = a real step). The next layer finds it there: ``Layer.__call__`` passes it
to ``call(..., mask=...)`` when ``call`` takes a ``mask`` argument, and puts on the output
what the layer's ``compute_mask(inputs, mask)`` returns — or the same mask, unchanged, for
layers that merely transform each step (``supports_masking = True``: Dense, Activation,
Dropout, normalization...). Any other layer drops it. A mask on the model's output makes
the loss and the metrics skip the padded steps (Keras: the loss is weighted by the mask).

Nothing is stored on layers: the mask is decided per call, from the tensors, as
:mod:`glassnet.logits` does for logits.

>>> import torch
>>> x = attach(torch.zeros(2, 3, 4), torch.tensor([[True, True, False], [True, False, False]]))
>>> of(x).sum().item()
3
>>> of(torch.zeros(2)) is None
True
"""

from __future__ import annotations

from typing import Any

import torch

_ATTRIBUTE = "_keras_mask"


def of(tensor: Any) -> torch.Tensor | None:
    """The mask carried by ``tensor`` (None if it carries none or is not a tensor).

    >>> of(attach(torch.zeros(1, 2, 3), torch.ones(1, 2, dtype=torch.bool))).shape
    torch.Size([1, 2])
    """
    return getattr(tensor, _ATTRIBUTE, None) if isinstance(tensor, torch.Tensor) else None


def attach(tensor: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``tensor`` carrying ``mask`` (None removes a mask it carried); returns ``tensor``.

    >>> of(attach(torch.zeros(1, 2), None)) is None
    True
    """
    if mask is None:
        if _ATTRIBUTE in tensor.__dict__:
            delattr(tensor, _ATTRIBUTE)
        return tensor
    setattr(tensor, _ATTRIBUTE, mask)
    return tensor


def input_mask(args: tuple) -> Any:
    """The mask(s) of a layer call's first argument: one mask, a list for a list of tensors, or None.

    >>> m = torch.ones(1, 2, dtype=torch.bool)
    >>> input_mask((attach(torch.zeros(1, 2, 3), m),)) is m, input_mask((torch.zeros(1),))
    (True, None)
    """
    if not args:
        return None
    first = args[0]
    if isinstance(first, torch.Tensor):
        return first.__dict__.get(_ATTRIBUTE) if first.__dict__ else None
    if isinstance(first, (list, tuple)) and first and all(isinstance(t, torch.Tensor) for t in first):
        masks = [of(t) for t in first]
        return masks if any(m is not None for m in masks) else None
    return None


def set_output_mask(layer, args: tuple, outputs: Any, mask: Any) -> None:
    """Put the mask a layer's outputs carry on them: ``layer.compute_mask(inputs, mask)``, or
    ``mask`` itself for a layer with ``supports_masking``; nothing otherwise."""
    if type(layer).compute_mask is not _default_compute_mask:
        inputs = args[0] if args else None
        produced = layer.compute_mask(inputs, mask)
    elif getattr(layer, "supports_masking", False):
        produced = mask
    else:
        return
    if produced is None:
        return
    if isinstance(outputs, torch.Tensor):
        if isinstance(produced, (list, tuple)):
            produced = produced[0]
        if produced is not None and produced.shape == outputs.shape[:produced.dim()]:
            attach(outputs, produced)
    elif isinstance(outputs, (list, tuple)):
        masks = produced if isinstance(produced, (list, tuple)) else [produced] + [None] * (len(outputs) - 1)
        for output, m in zip(outputs, masks):
            if isinstance(output, torch.Tensor) and m is not None and m.shape == output.shape[:m.dim()]:
                attach(output, m)


def _default_compute_mask(self, inputs, mask=None):
    """Keras' default: a layer that supports masking passes the mask on unchanged.

    >>> _default_compute_mask(None, None, 'm')
    'm'
    """
    return mask


def loss_weight(mask: torch.Tensor, sample_weight: torch.Tensor | None) -> torch.Tensor:
    """Per-step weights for a masked output, as Keras: padded steps 0, real steps ``total / valid``,
    so the mean over all steps is the mean over the real ones (times ``sample_weight`` per sample).

    >>> loss_weight(torch.tensor([[True, False], [True, True]]), None).tolist()
    [[1.3333333730697632, 0.0], [1.3333333730697632, 1.3333333730697632]]
    """
    weight = mask.to(torch.float32)
    weight = weight * (weight.numel() / weight.sum().clamp_min(1e-7))
    if sample_weight is not None:
        sample_weight = sample_weight.to(weight.dtype)
        weight = weight * sample_weight.reshape(sample_weight.shape + (1,) * (weight.dim() - sample_weight.dim()))
    return weight


__all__ = ["of", "attach", "input_mask", "set_output_mask", "loss_weight"]
