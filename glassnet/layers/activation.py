"""Activation layers with arguments: ReLU, LeakyReLU, ELU, PReLU, Softmax.

>>> import torch
>>> ReLU(max_value=6.0)(torch.tensor([-1.0, 3.0, 9.0])).tolist()
[0.0, 3.0, 6.0]
>>> LeakyReLU()(torch.tensor([-1.0, 2.0])).tolist()
[-0.30000001192092896, 2.0]
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet import initializers, layout, logits
from glassnet.layers._utils import build_if_declared
from glassnet.layers.base import Layer


class ReLU(Layer):
    """Rectified linear unit with Keras' options.

    ``f(x) = max_value`` for x >= max_value, ``x`` for threshold <= x < max_value,
    ``negative_slope * (x - threshold)`` otherwise.

    >>> import torch
    >>> ReLU()(torch.tensor([-2.0, 0.5])).tolist()
    [0.0, 0.5]
    >>> ReLU(negative_slope=0.5, threshold=1.0)(torch.tensor([0.0, 2.0])).tolist()
    [-0.5, 2.0]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU(max_value={max_value}): max_value must be >= 0 or None.")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs):
        if self.threshold == 0.0 and self.negative_slope == 0.0:
            y = F.relu(inputs) if self.max_value is None else F.hardtanh(inputs, 0.0, self.max_value)
            return y
        if self.threshold == 0.0:
            y = F.leaky_relu(inputs, self.negative_slope)
        else:
            y = torch.where(inputs >= self.threshold, inputs, self.negative_slope * (inputs - self.threshold))
        return y if self.max_value is None else y.clamp(max=self.max_value)


class LeakyReLU(Layer):
    """``x`` for x >= 0, ``negative_slope * x`` otherwise; the layer's Keras default slope is 0.3.

    ``alpha=`` (Keras 2's name) is accepted too.

    >>> import torch
    >>> LeakyReLU(alpha=0.2)(torch.tensor([-1.0])).tolist()
    [-0.20000000298023224]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, negative_slope: float = 0.3, alpha: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = float(negative_slope if alpha is None else alpha)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)


class ELU(Layer):
    """Exponential linear unit: ``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    >>> import torch
    >>> round(ELU()(torch.tensor([-1.0])).item(), 4)
    -0.6321
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return F.elu(inputs, self.alpha)


class PReLU(Layer):
    """Leaky ReLU whose negative slope is learned (``weight``, Keras' alpha), one per input cell
    unless ``shared_axes`` (user layout, 1-based) share it, e.g. ``shared_axes=[1, 2]`` for one per channel.

    >>> import torch
    >>> layer = PReLU(alpha_initializer=initializers.Constant(0.25), shared_axes=[1, 2])
    >>> layer(torch.full((1, 3, 2, 2), -4.0)).unique().tolist()
    [-1.0]
    >>> layer.count_params()
    3
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, alpha_initializer: Any = "zeros", shared_axes: Any = None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [shared_axes] if isinstance(shared_axes, int) else [int(a) for a in shared_axes]
        build_if_declared(self)

    def build(self, input_shape) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[layout.internal_axis(axis, len(input_shape), self.data_format) - 1] = 1
        self.weight = self.add_weight("weight", shape, self.alpha_initializer)

    def call(self, inputs):
        return torch.where(inputs >= 0, inputs, self.weight * inputs)


class Softmax(Layer):
    """Softmax along ``axis`` (user layout; -1 = last/channels).

    >>> import torch
    >>> [round(v, 3) for v in Softmax()(torch.tensor([3.0, -2.0, 6.0])).tolist()]
    [0.047, 0.0, 0.952]
    """

    supports_masking = True  # keeps an input mask (glassnet.masking)

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        dims = [layout.internal_axis(a, inputs.dim(), self.data_format) for a in axes]
        if len(dims) == 1:
            last = self.axis == -1 or self.axis == inputs.dim() - 1  # classes last, as losses expect
            probabilities = torch.softmax(inputs, dim=dims[0])
            return logits.attach(probabilities, inputs, "softmax") if last else probabilities
        return torch.exp(inputs - torch.logsumexp(inputs, dim=dims, keepdim=True))


__all__ = ["ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax"]
