"""Pooling layers against torch's pooling ops and an explicit Keras 'same' reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet.layers import (AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
                             GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D,
                             GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from layers_support import (assert_same_values_and_grads, data_format, model_layout, seq_user,  # noqa: F401
                            tf_same_pads)


def keras_same_pool_reference(x: np.ndarray, pool, strides, mode: str) -> np.ndarray:
    """Pool (N, C, *spatial) with TF 'SAME' windows; padded cells are ignored (max and mean)."""
    spatial = x.shape[2:]
    outs = [math.ceil(n / s) for n, s in zip(spatial, strides)]
    starts = [[o * s - tf_same_pads(n, k, s)[0] for o in range(out)]
              for n, k, s, out in zip(spatial, pool, strides, outs)]
    y = np.zeros(x.shape[:2] + tuple(outs), dtype=np.float64)
    for index in itertools.product(*(range(o) for o in outs)):
        window = tuple(slice(max(st[i], 0), min(st[i] + k, n))
                       for st, i, k, n in zip(starts, index, pool, spatial))
        cells = x[(slice(None), slice(None), *window)].reshape(*x.shape[:2], -1)
        y[(slice(None), slice(None), *index)] = cells.max(-1) if mode == "max" else cells.mean(-1)
    return y


@pytest.mark.parametrize("cls,op", [(MaxPooling2D, F.max_pool2d), (AveragePooling2D, F.avg_pool2d)])
@pytest.mark.parametrize("pool,strides", [(2, None), (3, 2), ((2, 3), (1, 2))])
def test_pool2d_valid_matches_torch(data_format, cls, op, pool, strides):
    layer = cls(pool, strides)
    stride = pool if strides is None else strides
    x = torch.randn(2, 3, 9, 8)
    assert_same_values_and_grads(lambda t: layer(model_layout(t)), lambda t: op(t, pool, stride), x)


@pytest.mark.parametrize("cls,mode", [(MaxPooling2D, "max"), (AveragePooling2D, "avg")])
@pytest.mark.parametrize("size,pool,strides", [((7, 6), 2, 2), ((5, 5), 3, 2), ((6, 7), 3, 1), ((8, 8), 2, 3),
                                               ((7, 7), (2, 3), (2, 2)), ((4, 4), 3, 3)])
def test_pool2d_same_matches_keras(data_format, cls, mode, size, pool, strides):
    layer = cls(pool, strides, padding="same")
    x = torch.randn(2, 3, *size)
    y = layer(model_layout(x))
    pool2, strides2 = (pool,) * 2 if isinstance(pool, int) else pool, (strides,) * 2 if isinstance(strides, int) \
        else strides
    expected = keras_same_pool_reference(x.double().numpy(), pool2, strides2, mode)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-5)


def test_average_same_does_not_count_padding_known_values():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    y = AveragePooling2D(2, padding="same")(x)[0, 0]
    # windows: [0,1,3,4], [2,5], [6,7], [8] (padding at bottom/right is ignored)
    assert y.tolist() == [[2.0, 3.5], [6.5, 8.0]]


def test_max_same_ignores_padding_with_negative_inputs():
    x = -torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = MaxPooling2D(2, padding="same")(x)[0, 0]
    assert y.tolist() == [[-1.0, -3.0], [-7.0, -9.0]]


def test_pool_same_gradients_flow_like_reference():
    x = torch.randn(1, 2, 5, 6, requires_grad=True)
    y = AveragePooling2D(2, padding="same")(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    # each input cell is in exactly one window; its gradient is 1/(real cells in that window)
    assert g[0, 0, 4, 0].item() == pytest.approx(0.5) and g[0, 0, 0, 0].item() == pytest.approx(0.25)


@pytest.mark.parametrize("cls,mode", [(MaxPooling1D, "max"), (AveragePooling1D, "avg")])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d_in_both_layouts(data_format, cls, mode, padding):
    layer = cls(3, 2, padding=padding)
    x = torch.randn(2, 4, 11)  # (N, C, steps)
    y = seq_user(layer(seq_user(x)))
    if padding == "valid":
        op = F.max_pool1d if mode == "max" else F.avg_pool1d
        expected = op(x, 3, 2).numpy()
    else:
        expected = keras_same_pool_reference(x.double().numpy(), (3,), (2,), mode)
    np.testing.assert_allclose(y.numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("cls,op", [(MaxPooling3D, F.max_pool3d), (AveragePooling3D, F.avg_pool3d)])
def test_pool3d_matches_torch(data_format, cls, op):
    x = torch.randn(1, 2, 4, 6, 6)
    assert_same_values_and_grads(lambda t: cls()(model_layout(t)), lambda t: op(t, 2), x)


def test_pool3d_same_matches_keras():
    x = torch.randn(1, 2, 3, 5, 4)
    for cls, mode in ((MaxPooling3D, "max"), (AveragePooling3D, "avg")):
        y = cls(2, padding="same")(x)
        expected = keras_same_pool_reference(x.double().numpy(), (2, 2, 2), (2, 2, 2), mode)
        np.testing.assert_allclose(y.numpy(), expected, atol=1e-5)


def test_pooling_keeps_channels_last_memory():
    x = torch.randn(2, 3, 9, 9).contiguous(memory_format=torch.channels_last)
    for layer in (MaxPooling2D(), MaxPooling2D(3, 2, padding="same"), AveragePooling2D(2, padding="same"),
                  AveragePooling2D(3, 1, padding="same")):
        assert layer(x).is_contiguous(memory_format=torch.channels_last), layer


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_2d_3d(data_format, keepdims):
    x = torch.randn(2, 5, 4, 3)
    assert_same_values_and_grads(lambda t: GlobalAveragePooling2D(keepdims=keepdims)(model_layout(t)),
                                 lambda t: t.mean((2, 3), keepdim=keepdims), x)
    assert_same_values_and_grads(lambda t: GlobalMaxPooling2D(keepdims=keepdims)(model_layout(t)),
                                 lambda t: F.adaptive_max_pool2d(t, 1).flatten(1) if not keepdims
                                 else F.adaptive_max_pool2d(t, 1), x)
    v = torch.randn(2, 5, 2, 3, 4)
    torch.testing.assert_close(GlobalAveragePooling3D(keepdims=keepdims)(v), v.mean((2, 3, 4), keepdim=keepdims))
    torch.testing.assert_close(GlobalMaxPooling3D(keepdims=keepdims)(v), v.amax((2, 3, 4), keepdim=keepdims))


def test_global_pooling_1d_in_both_layouts(data_format):
    x = torch.randn(2, 4, 7)  # (N, C, steps)
    torch.testing.assert_close(GlobalAveragePooling1D()(seq_user(x)), x.mean(2))
    torch.testing.assert_close(GlobalMaxPooling1D()(seq_user(x)), x.amax(2))
    kept = GlobalAveragePooling1D(keepdims=True)(seq_user(x))
    assert tuple(kept.shape) == ((2, 1, 4) if data_format == "channels_last" else (2, 4, 1))


def test_strides_default_to_pool_size():
    layer = MaxPooling2D(3)
    assert layer.strides == (3, 3) and layer(torch.zeros(1, 1, 9, 9)).shape == (1, 1, 3, 3)
    assert MaxPooling2D(3, strides=1).strides == (1, 1)
