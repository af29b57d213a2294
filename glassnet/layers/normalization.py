"""Normalization layers: BatchNormalization and LayerNormalization.

Weights use torch's names — ``weight`` (Keras' gamma), ``bias`` (beta),
``running_mean``/``running_var`` (moving mean/variance, non-trainable weights that
Keras counts), and a ``num_batches_tracked`` buffer (not counted) — so
``nn.BatchNorm2d`` state dicts load unchanged. Keras' ``momentum=0.99`` is torch's
``momentum=0.01``.

>>> import torch
>>> bn = BatchNormalization()
>>> bn(torch.randn(4, 3, 5, 5)).shape
torch.Size([4, 3, 5, 5])
>>> bn.count_params()  # gamma, beta, moving mean, moving variance
12
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet import initializers, layout
from glassnet.layers._utils import build_if_declared
from glassnet.layers.base import Layer


class BatchNormalization(Layer):
    """Normalize each channel with the batch's mean and variance (training) or the moving averages (inference).

    ``axis`` is the feature axis in the user's layout (-1: channels). In
    inference mode — ``model.eval()``, or when the layer is frozen
    (``trainable=False``, Keras' rule for fine-tuning) — it uses the moving
    statistics and does not update them. As in Keras, ``axis=-1`` is the last user
    axis: with 'channels_first' images pass ``axis=1``. The moving variance is updated
    with the unbiased batch variance, as torch does (Keras uses the biased one; the
    difference is a factor n/(n-1) on each update).

    >>> import torch
    >>> bn = BatchNormalization()
    >>> y = bn(torch.randn(64, 3) * 5 + 2)
    >>> bool(y.mean(0).abs().max() < 1e-4), bool((y.std(0, unbiased=False) - 1).abs().max() < 1e-3)
    (True, True)
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"BatchNormalization(axis={axis!r}): give a single int axis.")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        build_if_declared(self)

    def build(self, input_shape) -> None:
        features = input_shape[layout.internal_axis(self.axis, len(input_shape), self.data_format)]
        self.weight = self.add_weight("weight", (features,), self.gamma_initializer) if self.scale else None
        self.bias = self.add_weight("bias", (features,), self.beta_initializer) if self.center else None
        self.running_mean = self.add_weight("running_mean", (features,), self.moving_mean_initializer,
                                            trainable=False)
        self.running_var = self.add_weight("running_var", (features,), self.moving_variance_initializer,
                                           trainable=False)
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=self._build_device))

    def call(self, inputs, training: bool | None = None):
        active = (self.training if training is None else bool(training)) and self.trainable
        axis = layout.internal_axis(self.axis, inputs.dim(), self.data_format)
        x = inputs if axis == 1 else inputs.movedim(axis, 1)
        if active:
            self.num_batches_tracked.add_(1)
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, training=active,
                         momentum=1.0 - self.momentum, eps=self.epsilon)
        return y if axis == 1 else y.movedim(1, axis)


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (default: the last, features/channels) — transformers' norm.

    >>> import torch
    >>> ln = LayerNormalization()
    >>> y = ln(torch.tensor([[1.0, 2.0, 3.0]]))
    >>> [round(v, 3) for v in y[0].tolist()]
    [-1.224, 0.0, 1.224]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        build_if_declared(self)

    def _axes(self, ndim: int) -> list[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return [layout.internal_axis(a, ndim, self.data_format) for a in axes]

    def build(self, input_shape) -> None:
        shape = tuple(input_shape[a] for a in self._axes(len(input_shape)))
        self.weight = self.add_weight("weight", shape, self.gamma_initializer) if self.scale else None
        self.bias = self.add_weight("bias", shape, self.beta_initializer) if self.center else None

    def call(self, inputs):
        axes = self._axes(inputs.dim())
        trailing = list(range(inputs.dim() - len(axes), inputs.dim()))
        x = inputs if axes == trailing else inputs.movedim(axes, trailing)
        shape = tuple(x.shape[len(x.shape) - len(axes):])
        y = F.layer_norm(x, shape, self.weight, self.bias, self.epsilon)
        return y if axes == trailing else y.movedim(trailing, axes)


__all__ = ["BatchNormalization", "LayerNormalization"]
