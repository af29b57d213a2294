"""Reshape, Permute, padding, cropping and upsampling, in the user's layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet import layout
from glassnet.errors import ShapeError
from glassnet.layers import (Cropping1D, Cropping2D, Permute, RepeatVector, Reshape, UpSampling1D, UpSampling2D,
                             ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from layers_support import assert_same_values_and_grads, data_format, internal, seq_user  # noqa: F401


def user(x, fmt):
    return layout.to_user(x, fmt)


def test_reshape_dense_output_to_image_in_user_layout(data_format):
    target = (7, 7, 64) if data_format == "channels_last" else (64, 7, 7)
    x = torch.randn(2, 7 * 7 * 64, requires_grad=True)
    y = Reshape(target)(x)
    assert tuple(y.shape) == (2, 64, 7, 7)  # internal NCHW in both formats
    torch.testing.assert_close(user(y, data_format), x.reshape(2, *target))
    if data_format == "channels_last":
        assert y.is_contiguous(memory_format=torch.channels_last)
    (g,) = torch.autograd.grad((y * 2).sum(), x)
    torch.testing.assert_close(g, torch.full_like(x, 2.0))


def test_reshape_image_to_vectors_and_minus_one(data_format):
    x_user = torch.randn(2, 4, 4, 3) if data_format == "channels_last" else torch.randn(2, 3, 4, 4)
    y = Reshape((-1,))(internal(x_user))
    torch.testing.assert_close(y, x_user.reshape(2, -1))
    y = Reshape((16, -1))(internal(x_user))
    torch.testing.assert_close(y, x_user.reshape(2, 16, -1))


def test_reshape_wrong_size_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"reshape.*\(7, 7, 64\)"):
        Reshape((7, 7, 64))(torch.zeros(2, 100))


def test_permute_uses_one_based_user_axes(data_format):
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(Permute((2, 1))(x), x.transpose(1, 2))
    x_user = torch.randn(2, 4, 5, 6)
    y = Permute((3, 1, 2))(internal(x_user))
    torch.testing.assert_close(user(y, data_format), x_user.permute(0, 3, 1, 2))
    with pytest.raises(ValueError, match="permutation"):
        Permute((0, 1))


@pytest.mark.parametrize("padding,np_pad", [
    (1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))), (((0, 1), (2, 3)), ((0, 1), (2, 3))),
])
def test_zero_padding_2d_matches_numpy(data_format, padding, np_pad):
    x_user = torch.randn(2, 4, 5, 3) if data_format == "channels_last" else torch.randn(2, 3, 4, 5)
    y = ZeroPadding2D(padding)(internal(x_user))
    spatial = (1, 2) if data_format == "channels_last" else (2, 3)
    pads = [(0, 0)] * 4
    pads[spatial[0]], pads[spatial[1]] = np_pad
    np.testing.assert_array_equal(user(y, data_format).numpy(), np.pad(x_user.numpy(), pads))


def test_zero_padding_1d_3d(data_format):
    x = torch.randn(2, 3, 5)  # (N, C, steps)
    y = seq_user(ZeroPadding1D((1, 2))(seq_user(x)))
    torch.testing.assert_close(y, F.pad(x, (1, 2)))
    v = torch.randn(1, 2, 2, 3, 4)
    torch.testing.assert_close(ZeroPadding3D(((1, 0), (0, 1), (2, 2)))(v), F.pad(v, (2, 2, 0, 1, 1, 0)))


def test_cropping(data_format):
    x_user = torch.randn(2, 6, 7, 3) if data_format == "channels_last" else torch.randn(2, 3, 6, 7)
    y = user(Cropping2D(((1, 2), (0, 3)))(internal(x_user)), data_format)
    expected = x_user[:, 1:4, 0:4] if data_format == "channels_last" else x_user[:, :, 1:4, 0:4]
    torch.testing.assert_close(y, expected)
    x = torch.randn(2, 3, 9)
    torch.testing.assert_close(seq_user(Cropping1D(2)(seq_user(x))), x[:, :, 2:7])
    with pytest.raises(ShapeError, match="cropping"):
        Cropping2D(4)(torch.zeros(1, 1, 6, 6))


def test_upsampling_nearest_repeats_pixels(data_format):
    x = torch.randn(2, 3, 4, 5)
    y = UpSampling2D((2, 3))(x)
    torch.testing.assert_close(y, x.repeat_interleave(2, dim=2).repeat_interleave(3, dim=3))
    s = torch.randn(2, 3, 4)  # (N, C, steps)
    torch.testing.assert_close(seq_user(UpSampling1D(2)(seq_user(s))), s.repeat_interleave(2, dim=2))


def test_upsampling_bilinear_uses_half_pixel_centers_like_keras():
    x = torch.tensor([[[[0.0, 1.0]]]])
    y = UpSampling2D((1, 2), interpolation="bilinear")(x)
    assert y.flatten().tolist() == [0.0, 0.25, 0.75, 1.0]
    x = torch.randn(1, 2, 3, 4)
    assert_same_values_and_grads(UpSampling2D(2, interpolation="bilinear"),
                                 lambda t: F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False), x)
    with pytest.raises(ValueError, match="interpolation"):
        UpSampling2D(interpolation="bicubic_ish")


def test_layout_layers_keep_channels_last_memory():
    x = torch.randn(2, 3, 4, 4).contiguous(memory_format=torch.channels_last)
    for layer in (ZeroPadding2D(1), UpSampling2D(), UpSampling2D(interpolation="bilinear")):
        assert layer(x).is_contiguous(memory_format=torch.channels_last), layer


def test_repeat_vector():
    x = torch.randn(2, 5)
    y = RepeatVector(3)(x)
    assert y.shape == (2, 3, 5)
    torch.testing.assert_close(y[:, 2], x)
