"""One batch of work: the default ``train_step``, ``test_step`` and ``predict_step``.

These are what ``Model.train_step`` & co. call; override those methods on your
model for custom training (a GAN's two updates, say). They return scalar
tensors and never call ``.item()``: the loop reads values only when the
progress bar refreshes, so the device is never waited on per step.
"""

from __future__ import annotations

import torch


def unpack(data) -> tuple:
    """(x, y, sample_weight) from a batch given as x, (x,), (x, y) or (x, y, sample_weight).

    >>> unpack((1, 2))
    (1, 2, None)
    """
    if isinstance(data, (tuple, list)) and not torch.is_tensor(data):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return tuple(data)
    return data, None, None


def train_step(model, data) -> dict[str, torch.Tensor]:
    """Forward, loss, backward, optimizer step, metric update."""
    x, y, sample_weight = unpack(data)
    setup = model.compiled
    with setup.autocast():
        y_pred = setup.forward(x)
    loss = model.compute_loss(x, y, y_pred, sample_weight)
    setup.optimizer.zero_grad()
    loss.backward()
    setup.optimizer.step()
    setup.update_metrics(y, y_pred, sample_weight)
    return {"loss": loss.detach()}


def test_step(model, data) -> dict[str, torch.Tensor]:
    """Forward and loss without gradients, in full precision; updates the metrics."""
    x, y, sample_weight = unpack(data)
    setup = model.compiled
    y_pred = setup.forward(x)
    loss = model.compute_loss(x, y, y_pred, sample_weight)
    setup.update_metrics(y, y_pred, sample_weight)
    return {"loss": loss.detach()}


def predict_step(model, data):
    """The model's outputs for one batch, in full precision: predictions and evaluation
    report float32 numbers; mixed precision speeds up training steps only."""
    x, _, _ = unpack(data)
    forward = model.compiled.forward if model.compiled is not None else model
    return forward(x)
