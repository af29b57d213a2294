"""Classification + localisation: one network predicts what the object is and where it is.

Boxes are ``(x_min, y_min, x_max, y_max)`` as fractions of the image side. :func:`box_iou` is
their intersection over union; :class:`BoxIoULoss` trains a box head with ``1 − GIoU`` (the
generalised IoU of Rezatofighi et al. 2019, which still has a gradient when the boxes do not
overlap); :class:`BoxIoU` reports the mean IoU while training. :func:`localisation_model` builds
a convnet with two heads: ``class`` (softmax) and ``box`` (4 sigmoid coordinates).

>>> import torch
>>> round(box_iou(torch.tensor([0., 0., 0.5, 0.5]), torch.tensor([0.25, 0., 0.75, 0.5])).item(), 4)  # 1/8 / 3/8
0.3333
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from glassnet.layers import Conv2D, Dense, Flatten, Input
from glassnet.losses import Loss
from glassnet.metrics import Mean
from glassnet.models import Model

_EPS = 1e-7


def _ordered(boxes: torch.Tensor) -> torch.Tensor:
    """Boxes with each min ≤ max (a predicted box may come out flipped)."""
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([torch.minimum(x0, x1), torch.minimum(y0, y1), torch.maximum(x0, x1),
                        torch.maximum(y0, y1)], -1)


def box_iou(a: torch.Tensor, b: torch.Tensor, generalized: bool = False) -> torch.Tensor:
    """Intersection over union of matching boxes ``a`` and ``b`` (..., 4) in ``xyxy`` order; with
    ``generalized`` the GIoU: IoU minus the share of the smallest enclosing box they leave empty.

    >>> round(box_iou(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([[2., 0., 3., 1.]]), generalized=True).item(), 4)
    -0.3333
    """
    a, b = _ordered(a.float()), _ordered(b.float())
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    low, high = torch.maximum(a[..., :2], b[..., :2]), torch.minimum(a[..., 2:], b[..., 2:])
    inter = (high - low).clamp(min=0).prod(-1)
    union = area_a + area_b - inter
    iou = inter / (union + _EPS)
    if not generalized:
        return iou
    hull = (torch.maximum(a[..., 2:], b[..., 2:]) - torch.minimum(a[..., :2], b[..., :2])).prod(-1)
    return iou - (hull - union) / (hull + _EPS)


class BoxIoULoss(Loss):
    """``1 − GIoU`` (or ``1 − IoU`` with ``generalized=False``) between true and predicted boxes, per sample.

    >>> round(BoxIoULoss()(torch.tensor([[0., 0., 1., 1.]]), torch.tensor([[0., 0., 1., 1.]])).item(), 4)
    0.0
    """

    def __init__(self, generalized: bool = True, **kwargs: Any):
        kwargs.setdefault("name", "box_iou_loss")
        super().__init__(**kwargs)
        self.generalized = generalized

    def call(self, y_true, y_pred):
        return 1 - box_iou(y_true.reshape(y_pred.shape), y_pred, self.generalized)


class BoxIoU(Mean):
    """The mean IoU of predicted and true boxes over the samples seen (a metric for the box head).

    >>> m = BoxIoU(); m.update_state(torch.tensor([[0., 0., .5, .5]]), torch.tensor([[0., 0., .5, 1.]]))
    >>> round(float(m.result()), 4)
    0.5
    """

    def __init__(self, name: str = "iou", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = torch.as_tensor(y_pred).detach()
        super().update_state(box_iou(torch.as_tensor(y_true).reshape(y_pred.shape), y_pred),
                             sample_weight=sample_weight)


def localisation_model(input_shape: Sequence[int], num_classes: int, filters: Sequence[int] = (16, 32, 64),
                       dense: int = 128, name: str = "localiser") -> Model:
    """A convnet with two heads: ``class`` (``num_classes`` softmax) and ``box`` (4 sigmoid values,
    relative ``xyxy``). Strided 3x3 convolutions, then Flatten — not global pooling, which would
    throw away where things are — and a Dense layer shared by both heads.

    >>> m = localisation_model((56, 56, 1), 10, filters=(4, 8), dense=16)
    >>> [o.shape for o in m.outputs], m.output_names
    ([(None, 10), (None, 4)], ['class', 'box'])
    """
    inputs = Input(shape=tuple(input_shape))
    x = inputs
    for f in filters:
        x = Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    x = Dense(dense, activation="relu")(Flatten()(x))
    return Model(inputs, [Dense(num_classes, activation="softmax", name="class")(x),
                          Dense(4, activation="sigmoid", name="box")(x)], name=name)


__all__ = ["box_iou", "BoxIoULoss", "BoxIoU", "localisation_model"]
