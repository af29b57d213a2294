"""Convolution layers: Conv1D/2D/3D, DepthwiseConv2D, SeparableConv2D and transposed convolutions.

Weights use PyTorch's layout and names — ``weight`` is (filters, in/groups, *kernel),
``bias`` is (filters,) — so ``nn.Conv2d`` state dicts load unchanged; ``get_weights()``
gives Keras' kernels (*kernel, in, filters) (see :func:`kernel_to_keras`).
Regularizers and constraints take Keras' arguments (``kernel_regularizer``, ...). Images are
NCHW inside (channels-last memory when the user passes (H, W, C)); sequences stay
(N, steps, channels), and the 1-D layers transpose them internally.
'same' padding follows Keras/TensorFlow: with an odd amount the extra cell goes at
the bottom/right.

>>> import torch
>>> Conv2D(6, 5)(torch.zeros(1, 3, 32, 32)).shape
torch.Size([1, 6, 28, 28])
>>> Conv2D(8, 3, strides=2, padding='same')(torch.zeros(1, 3, 32, 32)).shape
torch.Size([1, 8, 16, 16])
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from glassnet import activations, constraints, initializers, layout, regularizers
from glassnet.config import resolve_data_format
from glassnet.layers._utils import (apply_padding, build_if_declared, channels_first_1d, from_channels_first_1d,
                                    normalize_padding, normalize_tuple, pad_amounts)
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def kernel_to_keras(weight: torch.Tensor) -> torch.Tensor:
    """A torch conv kernel (out, in, *k) as Keras' (*k, in, out) — a view, no copy.

    Transposed convolutions map the same way: torch (in, out, *k) -> Keras (*k, out, in).
    (``applications.keras_h5`` does the 2-D inverse on numpy arrays when reading .h5 files.)

    >>> kernel_to_keras(torch.zeros(8, 3, 5, 5)).shape
    torch.Size([5, 5, 3, 8])
    """
    rank = weight.dim() - 2
    return weight.permute(*range(2, rank + 2), 1, 0)


def kernel_from_keras(kernel: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`kernel_to_keras`: Keras (*k, in, out) -> torch (out, in, *k).

    >>> kernel_from_keras(torch.zeros(5, 5, 3, 8)).shape
    torch.Size([8, 3, 5, 5])
    """
    rank = kernel.dim() - 2
    return kernel.permute(rank + 1, rank, *range(rank))


def depthwise_to_keras(weight: torch.Tensor, multiplier: int) -> torch.Tensor:
    """torch depthwise kernel (C·m, 1, kh, kw) -> Keras (kh, kw, C, m); channel ``c·m + j`` is (c, j).

    >>> depthwise_to_keras(torch.zeros(6, 1, 3, 3), 2).shape
    torch.Size([3, 3, 3, 2])
    """
    return weight.reshape(-1, multiplier, *weight.shape[2:]).permute(2, 3, 0, 1)


def depthwise_from_keras(kernel: torch.Tensor) -> torch.Tensor:
    """Keras depthwise kernel (kh, kw, C, m) -> torch (C·m, 1, kh, kw).

    >>> depthwise_from_keras(torch.zeros(3, 3, 3, 2)).shape
    torch.Size([6, 1, 3, 3])
    """
    kh, kw, c, m = kernel.shape
    return kernel.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw)


def _weight_options(layer: Layer, **options: Any) -> None:
    """Store Keras' ``*_regularizer`` / ``*_constraint`` arguments on the layer (used at build)."""
    for key, value in options.items():
        setattr(layer, key, regularizers.get(value) if key.endswith("_regularizer") else constraints.get(value))


def _check_rank(layer: Layer, input_shape, rank: int) -> None:
    """Raise a ShapeError (in user layout) unless the input has ``rank`` spatial axes."""
    if len(input_shape) != rank + 2:
        want = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)",
                3: "(batch, depth, height, width, channels)"}[rank]
        shown = layout.user_shape(input_shape, layer.data_format)
        raise ShapeError(f"Layer '{layer.name}' ({type(layer).__name__}) cannot take an input of shape {shown}: "
                         f"it expects rank-{rank + 2} inputs {want}. Reshape the data (e.g. add a channels "
                         "axis of size 1).")


class _Conv(Layer):
    """Shared code of Conv1D/2D/3D; ``rank`` is the number of spatial axes."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        _weight_options(self, kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        if int(filters) <= 0:
            raise ValueError(f"{type(self).__name__}(filters={filters}): filters must be a positive integer.")
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        self.padding = normalize_padding(padding, allowed)
        self.data_format = resolve_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(f"{type(self).__name__}: filters ({filters}) must be divisible by groups ({groups}).")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        build_if_declared(self)

    def _channels(self, input_shape) -> int:
        if self.rank == 1 and self.data_format == "channels_last":
            return input_shape[-1]
        return input_shape[1]

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, self.rank)
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} '{self.name}': input channels ({channels}) must be "
                             f"divisible by groups ({self.groups}).")
        shape = (self.filters, channels // self.groups, *self.kernel_size)
        self.weight = self.add_weight(shape, self.kernel_initializer, name="weight",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def _keras_layout(self, name, weight):
        return kernel_to_keras(weight) if name == "weight" else weight

    def _torch_layout(self, name, value):
        return kernel_from_keras(value) if name == "weight" else value

    def call(self, inputs):
        x = channels_first_1d(inputs, self.data_format) if self.rank == 1 else inputs
        pads = pad_amounts(x, self.padding, self.kernel_size, self.strides, self.dilation_rate)
        x, torch_padding = apply_padding(x, pads)
        y = _CONV[self.rank](x, self.weight, self.bias, self.strides, torch_padding, self.dilation_rate, self.groups)
        y = self._activate(y)
        return from_channels_first_1d(y, self.data_format) if self.rank == 1 else y

    def _shape_hint(self, input_shape) -> str | None:
        return (f"Check the channels and that the input is at least as large as the kernel "
                f"{self.kernel_size}.")


class Conv1D(_Conv):
    """1-D convolution over sequences (N, steps, channels), e.g. text or audio.

    ``padding='causal'`` pads only on the left, so step t never sees the future.

    >>> import torch
    >>> Conv1D(4, 3, padding='causal')(torch.zeros(2, 10, 8)).shape
    torch.Size([2, 10, 4])
    """

    rank = 1


class Conv2D(_Conv):
    """2-D convolution over images: the workhorse of CNNs.

    >>> import torch
    >>> layer = Conv2D(6, 5, activation='relu')
    >>> layer(torch.zeros(1, 3, 32, 32)).shape  # internal NCHW
    torch.Size([1, 6, 28, 28])
    >>> layer.count_params()  # (5*5*3 + 1) * 6
    456
    """

    rank = 2


class Conv3D(_Conv):
    """3-D convolution over volumes or video clips.

    >>> import torch
    >>> Conv3D(2, 3, padding='same')(torch.zeros(1, 1, 4, 8, 8)).shape
    torch.Size([1, 2, 4, 8, 8])
    """

    rank = 3


def _depthwise_initializer(init: Callable, channels: int, multiplier: int) -> Callable:
    """Draw a depthwise kernel with Keras' fans (fan_in = k·k·C, fan_out = k·k·m) in torch's layout."""

    def draw(shape, dtype=None):
        keras_like = init((multiplier, channels, *shape[2:]), dtype=dtype)
        return keras_like.transpose(0, 1).reshape(shape).contiguous()

    return draw


class DepthwiseConv2D(Layer):
    """One filter (or ``depth_multiplier`` filters) per input channel: torch's grouped conv with groups=C.

    ``weight`` has torch's shape (C·depth_multiplier, 1, kh, kw).

    >>> import torch
    >>> layer = DepthwiseConv2D(3, padding='same')
    >>> layer(torch.zeros(1, 8, 16, 16)).shape
    torch.Size([1, 8, 16, 16])
    >>> layer.count_params()  # 3*3*8 + 8
    80
    """

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        _weight_options(self, depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                        depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = normalize_padding(padding)
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = resolve_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        build_if_declared(self)

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 2)
        channels = input_shape[1]
        out = channels * self.depth_multiplier
        init = _depthwise_initializer(self.depthwise_initializer, channels, self.depth_multiplier)
        self.weight = self.add_weight((out, 1, *self.kernel_size), init, name="weight",
                                      regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.bias = self.add_weight((out,), self.bias_initializer, name="bias", regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _keras_layout(self, name, weight):
        return depthwise_to_keras(weight, self.depth_multiplier) if name == "weight" else weight

    def _torch_layout(self, name, value):
        return depthwise_from_keras(value) if name == "weight" else value

    def call(self, inputs):
        pads = pad_amounts(inputs, self.padding, self.kernel_size, self.strides, self.dilation_rate)
        x, torch_padding = apply_padding(inputs, pads)
        y = F.conv2d(x, self.weight, self.bias, self.strides, torch_padding, self.dilation_rate, inputs.shape[1])
        return self._activate(y)


class SeparableConv2D(Layer):
    """Depthwise conv (per channel) then a 1×1 pointwise conv: Xception/MobileNet's cheap convolution.

    Weights: ``depthwise_weight`` (C·m, 1, kh, kw), ``pointwise_weight`` (filters, C·m, 1, 1),
    ``bias`` (filters,) — the same counts as Keras.

    >>> import torch
    >>> layer = SeparableConv2D(16, 3)
    >>> layer(torch.zeros(1, 8, 10, 10)).shape
    torch.Size([1, 16, 8, 8])
    >>> layer.count_params()  # 3*3*8 + 8*16 + 16
    216
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs):
        super().__init__(**kwargs)
        _weight_options(self, depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
                        bias_regularizer=bias_regularizer, depthwise_constraint=depthwise_constraint,
                        pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint)
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = resolve_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        self.depth_multiplier = int(depth_multiplier)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        build_if_declared(self)

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, 2)
        channels = input_shape[1]
        mid = channels * self.depth_multiplier
        init = _depthwise_initializer(self.depthwise_initializer, channels, self.depth_multiplier)
        self.depthwise_weight = self.add_weight((mid, 1, *self.kernel_size), init, name="depthwise_weight",
                                                regularizer=self.depthwise_regularizer,
                                                constraint=self.depthwise_constraint)
        self.pointwise_weight = self.add_weight((self.filters, mid, 1, 1), self.pointwise_initializer,
                                                name="pointwise_weight", regularizer=self.pointwise_regularizer,
                                                constraint=self.pointwise_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def _keras_layout(self, name, weight):
        if name == "depthwise_weight":
            return depthwise_to_keras(weight, self.depth_multiplier)
        return kernel_to_keras(weight) if name == "pointwise_weight" else weight

    def _torch_layout(self, name, value):
        if name == "depthwise_weight":
            return depthwise_from_keras(value)
        return kernel_from_keras(value) if name == "pointwise_weight" else value

    def call(self, inputs):
        pads = pad_amounts(inputs, self.padding, self.kernel_size, self.strides, self.dilation_rate)
        x, torch_padding = apply_padding(inputs, pads)
        x = F.conv2d(x, self.depthwise_weight, None, self.strides, torch_padding, self.dilation_rate, inputs.shape[1])
        return self._activate(F.conv2d(x, self.pointwise_weight, self.bias))


def deconv_output_length(length: int, kernel: int, stride: int, padding: str, output_padding: int | None,
                         dilation: int = 1) -> int:
    """Output length of a transposed convolution, as Keras computes it.

    >>> deconv_output_length(7, 3, 2, 'same', None), deconv_output_length(7, 3, 2, 'valid', None)
    (14, 15)
    """
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        return length * stride + (max(kernel - stride, 0) if padding == "valid" else 0)
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


class _ConvTranspose(Layer):
    """Shared code of Conv1DTranspose/2D/3D."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs):
        super().__init__(**kwargs)
        _weight_options(self, kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                        kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, self.rank, "kernel_size")
        self.strides = normalize_tuple(strides, self.rank, "strides")
        self.padding = normalize_padding(padding)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = tuple(output_padding) if not isinstance(output_padding, int) \
                else (output_padding,) * self.rank
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"output_padding {self.output_padding} must be smaller than strides {self.strides}.")
        self.data_format = resolve_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, self.rank, "dilation_rate")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        build_if_declared(self)

    def build(self, input_shape) -> None:
        _check_rank(self, input_shape, self.rank)
        channels = input_shape[-1] if self.rank == 1 and self.data_format == "channels_last" else input_shape[1]
        self.weight = self.add_weight((channels, self.filters, *self.kernel_size), self.kernel_initializer,
                                      name="weight", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None

    def _keras_layout(self, name, weight):  # torch (in, filters, *k) -> Keras (*k, filters, in)
        return kernel_to_keras(weight) if name == "weight" else weight

    def _torch_layout(self, name, value):
        return kernel_from_keras(value) if name == "weight" else value

    def _torch_args(self, spatial) -> tuple[list[int], list[int], list[int]]:
        """torch padding, output_padding, and the wanted output lengths (Keras sizes)."""
        paddings, extras, lengths = [], [], []
        for i, n in enumerate(spatial):
            k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
            op = None if self.output_padding is None else self.output_padding[i]
            length = deconv_output_length(n, k, s, self.padding, op, d)
            effective = (k - 1) * d + 1
            before = max((n - 1) * s + effective - length, 0) // 2 if self.padding == "same" else 0
            extra = length - ((n - 1) * s + effective - 2 * before)
            paddings.append(before)
            extras.append(min(max(extra, 0), max(s, d) - 1))
            lengths.append(length)
        return paddings, extras, lengths

    def call(self, inputs):
        x = channels_first_1d(inputs, self.data_format) if self.rank == 1 else inputs
        paddings, extras, lengths = self._torch_args(x.shape[2:])
        if any(extras) and any(k == 1 for k in self.kernel_size):
            # torch 2.13's CPU kernel gets the weight gradient wrong for channels-last input with a
            # 1-wide kernel and output padding (tests/test_layers_convolutional.py::..._is_the_adjoint_...)
            x = x.contiguous()
        y = _CONV_T[self.rank](x, self.weight, self.bias, self.strides, paddings, extras, 1, self.dilation_rate)
        if tuple(y.shape[2:]) != tuple(lengths):  # TF pads less at the start than torch can express: crop the end
            y = y[(..., *(slice(0, n) for n in lengths))]
        y = self._activate(y)
        return from_channels_first_1d(y, self.data_format) if self.rank == 1 else y


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution (learned upsampling of sequences).

    >>> import torch
    >>> Conv1DTranspose(4, 3, strides=2, padding='same')(torch.zeros(1, 5, 2)).shape
    torch.Size([1, 10, 4])
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution ("deconvolution"): learned upsampling in GANs, U-Nets and autoencoders.

    Output sizes follow Keras: 'same' gives ``input * strides``; 'valid' gives
    ``input * strides + max(kernel - strides, 0)``. ``weight`` is (in, filters, kh, kw), as in torch.

    >>> import torch
    >>> Conv2DTranspose(32, 3, strides=2, padding='same')(torch.zeros(1, 64, 7, 7)).shape
    torch.Size([1, 32, 14, 14])
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution.

    >>> import torch
    >>> Conv3DTranspose(2, 2, strides=2)(torch.zeros(1, 3, 2, 2, 2)).shape
    torch.Size([1, 2, 4, 4, 4])
    """

    rank = 3


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose = Conv2DTranspose

__all__ = ["Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Conv1DTranspose",
           "Conv2DTranspose", "Conv3DTranspose", "Convolution1D", "Convolution2D", "Convolution3D",
           "Convolution2DTranspose", "deconv_output_length", "kernel_to_keras", "kernel_from_keras",
           "depthwise_to_keras", "depthwise_from_keras"]
