"""Convolution layers against torch's conv ops: values, gradients, Keras 'same' padding, counts, state dicts."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from glassnet.errors import ShapeError
from glassnet.layers import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                             DepthwiseConv2D, SeparableConv2D)
from glassnet.layers.convolutional import deconv_output_length
from layers_support import (assert_same_values_and_grads, data_format, model_layout, seq_user,  # noqa: F401
                            tf_same_pads)

CL = torch.channels_last


def _ref_pad(x, pads, value=0.0):
    flat = [a for before, after in reversed(pads) for a in (before, after)]
    return F.pad(x, flat, value=value)


@pytest.mark.parametrize("kwargs", [
    dict(filters=4, kernel_size=3),
    dict(filters=4, kernel_size=(3, 2), strides=(2, 1)),
    dict(filters=6, kernel_size=3, dilation_rate=2),
    dict(filters=6, kernel_size=1, groups=3, use_bias=False),
])
def test_conv2d_valid_matches_torch(data_format, kwargs):
    layer = Conv2D(activation="relu", **kwargs)
    x = torch.randn(2, 3, 9, 8)
    layer(model_layout(x))
    ref = lambda t: F.relu(F.conv2d(t, layer.weight, layer.bias, layer.strides, 0, layer.dilation_rate,
                                    layer.groups))
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x,
                                 [(layer.weight, layer.weight)])


@pytest.mark.parametrize("size,kernel,stride,dilation", [
    (8, 3, 2, 1), (7, 3, 2, 1), (8, 4, 1, 1), (9, 5, 3, 1), (8, 3, 1, 2), (6, 2, 2, 1), (5, 1, 2, 1),
])
def test_conv2d_same_is_keras_asymmetric_padding(data_format, size, kernel, stride, dilation):
    layer = Conv2D(5, kernel, strides=stride, padding="same", dilation_rate=dilation)
    x = torch.randn(2, 3, size, size + 1)
    y = layer(model_layout(x))
    assert tuple(y.shape[2:]) == (math.ceil(size / stride), math.ceil((size + 1) / stride))
    pads = [tf_same_pads(size, kernel, stride, dilation), tf_same_pads(size + 1, kernel, stride, dilation)]
    ref = lambda t: F.conv2d(_ref_pad(t, pads), layer.weight, layer.bias, stride, 0, dilation)
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x,
                                 [(layer.weight, layer.weight), (layer.bias, layer.bias)])


def test_conv2d_same_stride2_pads_bottom_right_known_values():
    # 4x4 input, 3x3 kernel of ones, stride 2: Keras pads 0 rows on top and 1 at the bottom,
    # so the first output sums x[0:3, 0:3] (torch's symmetric padding would sum x[0:2, 0:2]).
    layer = Conv2D(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    y = layer(x)[0, 0]
    assert y.tolist() == [[x[0, 0, 0:3, 0:3].sum().item(), x[0, 0, 0:3, 2:4].sum().item()],
                          [x[0, 0, 2:4, 0:3].sum().item(), x[0, 0, 2:4, 2:4].sum().item()]]


def test_conv2d_keeps_channels_last_memory():
    x = torch.randn(2, 3, 16, 16).contiguous(memory_format=CL)
    for layer in (Conv2D(8, 3, padding="same"), Conv2D(8, 3, strides=2, padding="same"),
                  DepthwiseConv2D(3, strides=2, padding="same"), SeparableConv2D(8, 3, padding="same")):
        assert layer(x).is_contiguous(memory_format=CL), layer


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_torch_in_both_layouts(data_format, padding):
    layer = Conv1D(4, 3, padding=padding, dilation_rate=2, activation="tanh")
    x = torch.randn(2, 5, 11)  # (N, C, steps)
    layer(seq_user(x))
    pads = {"valid": (0, 0), "same": tf_same_pads(11, 3, 1, 2), "causal": (4, 0)}[padding]

    def ref(t):
        return torch.tanh(F.conv1d(F.pad(t, pads), layer.weight, layer.bias, dilation=2))

    assert_same_values_and_grads(lambda t: seq_user(layer(seq_user(t))), ref, x, [(layer.weight, layer.weight)])
    out_user = layer(seq_user(x))
    assert out_user.shape == ((2, 11 if padding != "valid" else 7, 4) if data_format == "channels_last"
                              else (2, 4, 11 if padding != "valid" else 7))


def test_conv1d_causal_never_sees_the_future():
    layer = Conv1D(1, 3, padding="causal")
    x = torch.randn(1, 10, 1)
    y1 = layer(x)
    x2 = x.clone()
    x2[0, 6:] += 5.0
    torch.testing.assert_close(layer(x2)[0, :6], y1[0, :6])


def test_conv3d_matches_torch(data_format):
    layer = Conv3D(3, (2, 3, 3), strides=(1, 2, 2), padding="same")
    x = torch.randn(1, 2, 4, 7, 6)
    layer(model_layout(x))
    pads = [tf_same_pads(4, 2, 1), tf_same_pads(7, 3, 2), tf_same_pads(6, 3, 2)]
    ref = lambda t: F.conv3d(_ref_pad(t, pads), layer.weight, layer.bias, (1, 2, 2))
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x, [(layer.weight, layer.weight)])


@pytest.mark.parametrize("multiplier,stride", [(1, 1), (2, 2)])
def test_depthwise_matches_grouped_torch_conv(data_format, multiplier, stride):
    layer = DepthwiseConv2D(3, strides=stride, padding="same", depth_multiplier=multiplier)
    x = torch.randn(2, 4, 9, 9)
    layer(model_layout(x))
    assert tuple(layer.weight.shape) == (4 * multiplier, 1, 3, 3)
    torch_conv = nn.Conv2d(4, 4 * multiplier, 3, stride=stride, groups=4)
    torch_conv.load_state_dict(layer.state_dict(), strict=True)
    pads = [tf_same_pads(9, 3, stride)] * 2
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), lambda t: torch_conv(_ref_pad(t, pads)), x,
                                 [(layer.weight, torch_conv.weight), (layer.bias, torch_conv.bias)])


def test_separable_is_depthwise_then_pointwise(data_format):
    layer = SeparableConv2D(7, 3, strides=2, padding="same", depth_multiplier=2, activation="relu")
    x = torch.randn(2, 3, 8, 8)
    layer(model_layout(x))
    pads = [tf_same_pads(8, 3, 2)] * 2

    def ref(t):
        mid = F.conv2d(_ref_pad(t, pads), layer.depthwise_weight, None, 2, 0, 1, 3)
        return F.relu(F.conv2d(mid, layer.pointwise_weight, layer.bias))

    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x,
                                 [(layer.depthwise_weight, layer.depthwise_weight),
                                  (layer.pointwise_weight, layer.pointwise_weight)])


@pytest.mark.parametrize("length,kernel,stride,padding,output_padding,expected", [
    (7, 3, 2, "same", None, 14), (7, 3, 2, "valid", None, 15), (7, 2, 2, "valid", None, 14),
    (7, 4, 2, "same", None, 14), (7, 1, 3, "valid", None, 21), (7, 3, 2, "same", 1, 14),
    (7, 3, 2, "valid", 1, 16), (5, 5, 1, "same", None, 5),
])
def test_deconv_output_length_is_keras(length, kernel, stride, padding, output_padding, expected):
    assert deconv_output_length(length, kernel, stride, padding, output_padding) == expected


@pytest.mark.parametrize("kernel,stride,padding,output_padding", [
    (3, 2, "same", None), (4, 2, "same", None), (5, 2, "same", None), (3, 2, "valid", None), (2, 2, "valid", None),
    (1, 3, "valid", None), (3, 1, "same", None), (3, 2, "same", 0), (3, 3, "valid", 2), (4, 3, "same", None),
])
def test_conv2d_transpose_is_the_adjoint_of_keras_conv(data_format, kernel, stride, padding, output_padding):
    # TF/Keras define conv_transpose as the gradient of the forward conv (with TF padding) that maps
    # the output size back to the input size; build that reference with autograd.
    layer = Conv2DTranspose(3, kernel, strides=stride, padding=padding, output_padding=output_padding)
    x = torch.randn(2, 4, 5, 6)
    y = layer(model_layout(x))
    lengths = [deconv_output_length(n, kernel, stride, padding, output_padding) for n in (5, 6)]
    assert tuple(y.shape) == (2, 3, *lengths)

    def ref(t):
        probe = torch.zeros(2, 3, *lengths, requires_grad=True)
        pads = [tf_same_pads(n, kernel, stride) if padding == "same" else (0, 0) for n in lengths]
        forward = F.conv2d(_ref_pad(probe, pads), layer.weight, None, stride)
        assert tuple(forward.shape[2:]) == (5, 6)
        (grad,) = torch.autograd.grad(forward, probe, grad_outputs=t, create_graph=True)
        return grad + layer.bias.view(1, -1, 1, 1)

    assert_same_values_and_grads(lambda t: layer(model_layout(t)), ref, x,
                                 [(layer.weight, layer.weight), (layer.bias, layer.bias)])


def test_conv_transpose_valid_loads_torch_state_dict():
    torch_layer = nn.ConvTranspose2d(4, 3, 3, stride=2)
    layer = Conv2DTranspose(3, 3, strides=2)
    x = torch.randn(1, 4, 5, 5)
    layer(x)
    layer.load_state_dict(torch_layer.state_dict(), strict=True)
    torch.testing.assert_close(layer(x), torch_layer(x))


def test_conv1d_and_3d_transpose_shapes(data_format):
    y = Conv1DTranspose(4, 3, strides=2, padding="same")(seq_user(torch.randn(1, 2, 5)))
    assert tuple(y.shape) == ((1, 10, 4) if data_format == "channels_last" else (1, 4, 10))
    assert Conv3DTranspose(2, 3, strides=2, padding="valid")(torch.randn(1, 3, 2, 2, 2)).shape == (1, 2, 5, 5, 5)


def test_torch_state_dicts_load_strictly():
    cases = [(Conv2D(8, 3), nn.Conv2d(3, 8, 3), torch.randn(1, 3, 6, 6)),
             (Conv1D(8, 3, data_format="channels_first"), nn.Conv1d(3, 8, 3), torch.randn(1, 3, 6)),
             (Conv3D(2, 2), nn.Conv3d(3, 2, 2), torch.randn(1, 3, 4, 4, 4)),
             (Conv2D(8, 3, use_bias=False), nn.Conv2d(3, 8, 3, bias=False), torch.randn(1, 3, 6, 6))]
    for ours, theirs, x in cases:
        ours(x)
        ours.load_state_dict(theirs.state_dict(), strict=True)
        torch.testing.assert_close(ours(x), theirs(x))


def _count(layer, shape):
    layer(torch.zeros(shape))
    return layer.count_params()


def test_parameter_counts_by_formula():
    assert _count(Conv2D(6, 5), (1, 3, 32, 32)) == (5 * 5 * 3 + 1) * 6 == 456
    assert _count(Conv2D(64, 3, use_bias=False), (1, 32, 8, 8)) == 3 * 3 * 32 * 64
    assert _count(Conv2D(64, 3, groups=4), (1, 32, 8, 8)) == 3 * 3 * 8 * 64 + 64
    assert _count(Conv1D(16, 5), (1, 20, 8)) == 5 * 8 * 16 + 16
    assert _count(Conv3D(4, 3), (1, 2, 5, 5, 5)) == 27 * 2 * 4 + 4
    assert _count(DepthwiseConv2D(3), (1, 32, 8, 8)) == 3 * 3 * 32 + 32
    assert _count(DepthwiseConv2D(3, depth_multiplier=2, use_bias=False), (1, 32, 8, 8)) == 3 * 3 * 64
    assert _count(SeparableConv2D(64, 3), (1, 32, 8, 8)) == 3 * 3 * 32 + 32 * 64 + 64
    assert _count(SeparableConv2D(64, 3, depth_multiplier=2), (1, 32, 8, 8)) == 3 * 3 * 64 + 64 * 64 + 64
    assert _count(Conv2DTranspose(32, 3), (1, 64, 4, 4)) == 3 * 3 * 64 * 32 + 32


def test_declared_input_shape_builds_in_user_layout(data_format):
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    assert Conv2D(32, 3, input_shape=shape).count_params() == (3 * 3 * 1 + 1) * 32


def test_depthwise_initializer_uses_keras_fans():
    # Keras: fan_in = k*k*C, fan_out = k*k*m for a depthwise kernel (torch's shape would give k*k and k*k*C*m).
    layer = DepthwiseConv2D(3, depth_multiplier=2, depthwise_initializer="he_normal")
    layer(torch.zeros(1, 64, 5, 5))
    assert layer.weight.var().item() == pytest.approx(2 / (9 * 64), rel=0.1)
    layer = DepthwiseConv2D(3, depth_multiplier=2)
    layer(torch.zeros(1, 16, 5, 5))
    limit = math.sqrt(6 / (9 * 16 + 9 * 2))
    assert layer.weight.abs().max().item() <= limit
    assert layer.weight.abs().max().item() > 0.9 * limit


def test_wrong_rank_is_a_clear_shape_error():
    with pytest.raises(ShapeError, match=r"conv2d.*rank-4"):
        Conv2D(4, 3)(torch.zeros(2, 10))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="padding"):
        Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="groups"):
        Conv2D(5, 3, groups=2)


@pytest.mark.parametrize("layer", [DepthwiseConv2D(3), SeparableConv2D(4, 3), Conv2DTranspose(4, 3), Conv1D(4, 3)])
def test_every_conv_rejects_the_wrong_rank(layer):
    with pytest.raises(ShapeError, match="rank"):
        layer(torch.zeros(2, 10))
    assert not layer.built


def test_too_small_input_is_a_shape_error():
    with pytest.raises(ShapeError, match="kernel"):
        Conv2D(4, 5)(torch.zeros(1, 3, 3, 3))
