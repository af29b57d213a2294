"""BatchNormalization and LayerNormalization against torch's modules."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from glassnet import config
from glassnet.layers import BatchNormalization, LayerNormalization
from layers_support import assert_same_values_and_grads, data_format, model_layout  # noqa: F401


def _bn_pair(channels=3):
    axis = -1 if config.image_data_format() == "channels_last" else 1  # the channels, as in Keras
    ours = BatchNormalization(axis=axis)
    ours.eval()(torch.zeros(2, channels, 4, 4))
    ours.train()
    with torch.no_grad():
        ours.weight.uniform_(0.5, 1.5)
        ours.bias.uniform_(-0.5, 0.5)
    theirs = nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    return ours, theirs


def test_batchnorm_training_matches_torch(data_format):
    ours, theirs = _bn_pair()
    x = torch.randn(4, 3, 5, 5) * 3 + 1
    assert_same_values_and_grads(lambda t: ours(model_layout(t)), theirs, x,
                                 [(ours.weight, theirs.weight), (ours.bias, theirs.bias)])
    ours(model_layout(x)), theirs(x)
    torch.testing.assert_close(ours.running_mean, theirs.running_mean)
    torch.testing.assert_close(ours.running_var, theirs.running_var)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 2


def test_batchnorm_moving_stats_use_keras_momentum():
    bn = BatchNormalization()
    x = torch.randn(256, 2) * 4 + 10
    bn(x)
    torch.testing.assert_close(bn.running_mean, 0.99 * torch.zeros(2) + 0.01 * x.mean(0))


def test_batchnorm_inference_uses_moving_stats(data_format):
    ours, theirs = _bn_pair()
    for _ in range(3):
        x = torch.randn(4, 3, 5, 5) * 2 + 3
        ours(model_layout(x)), theirs(x)
    ours.eval(), theirs.eval()
    x = torch.randn(2, 3, 5, 5)
    assert_same_values_and_grads(lambda t: ours(model_layout(t)), theirs, x, [(ours.weight, theirs.weight)])
    assert ours.num_batches_tracked.item() == 3


def test_frozen_batchnorm_runs_in_inference_mode_and_keeps_stats():
    bn = BatchNormalization()
    bn(torch.randn(8, 3))
    bn.trainable = False
    before = bn.running_mean.clone()
    x = torch.randn(8, 3) * 5 + 2
    y = bn.train()(x)
    torch.testing.assert_close(bn.running_mean, before)
    expected = (x - bn.running_mean) / torch.sqrt(bn.running_var + 1e-3) * bn.weight + bn.bias
    torch.testing.assert_close(y, expected)
    assert not bn.weight.requires_grad and bn.num_batches_tracked.item() == 1


def test_training_argument_overrides_mode():
    bn = BatchNormalization().eval()
    x = torch.randn(16, 3) * 5 + 2
    y = bn(x, training=True)
    torch.testing.assert_close(y.mean(0), torch.zeros(3), atol=1e-5, rtol=0)


def test_batchnorm_on_dense_and_sequence_outputs():
    bn = BatchNormalization()
    x = torch.randn(6, 4)
    ref = nn.BatchNorm1d(4, eps=1e-3, momentum=0.01)
    bn(x)
    ref.load_state_dict(bn.state_dict(), strict=True)
    assert_same_values_and_grads(bn, ref, x)
    # rank-3 (N, steps, features): axis=-1 normalizes features
    seq = BatchNormalization()
    s = torch.randn(3, 7, 5)
    assert seq(s).shape == (3, 7, 5) and seq.running_mean.shape == (5,)
    ref = nn.BatchNorm1d(5, eps=1e-3, momentum=0.01)
    assert_same_values_and_grads(seq, lambda t: ref(t.transpose(1, 2)).transpose(1, 2), s)


def test_batchnorm_center_scale_off():
    bn = BatchNormalization(center=False, scale=False)
    x = torch.randn(8, 3, 2, 2)
    y = bn(x)
    assert bn.weight is None and bn.bias is None and bn.count_params() == 6
    torch.testing.assert_close(y, F.batch_norm(x, None, None, training=True, eps=1e-3))


def test_batchnorm_counts_and_weights_like_keras():
    bn = BatchNormalization()
    bn(torch.zeros(2, 64, 3, 3))
    assert bn.count_params() == 4 * 64
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert [tuple(w.shape) for w in bn.get_weights()] == [(64,)] * 4
    assert "num_batches_tracked" in bn.state_dict()
    assert sorted(bn.state_dict()) == sorted(nn.BatchNorm2d(64).state_dict())


def test_batchnorm_declared_input_shape():
    assert BatchNormalization(input_shape=(10,)).count_params() == 40


@pytest.mark.parametrize("shape", [(4, 6), (2, 5, 6)])
def test_layernorm_matches_torch(shape):
    ln = LayerNormalization()
    x = torch.randn(*shape) * 3 + 1
    ln(x)
    with torch.no_grad():
        ln.weight.uniform_(0.5, 1.5)
        ln.bias.uniform_(-1, 1)
    ref = nn.LayerNorm(shape[-1], eps=1e-3)
    ref.load_state_dict(ln.state_dict(), strict=True)
    assert_same_values_and_grads(ln, ref, x, [(ln.weight, ref.weight), (ln.bias, ref.bias)])
    assert ln.count_params() == 2 * shape[-1]


def test_layernorm_on_images_normalizes_user_axes(data_format):
    x = torch.randn(2, 3, 4, 5)  # internal NCHW
    ln = LayerNormalization()  # -1: channels (channels_last) or width (channels_first)
    y = ln(model_layout(x))
    axis = 1 if data_format == "channels_last" else 3
    expected = (x - x.mean(axis, keepdim=True)) / torch.sqrt(x.var(axis, unbiased=False, keepdim=True) + 1e-3)
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=1e-4)
    everything = LayerNormalization(axis=[1, 2, 3])
    y = everything(model_layout(x))
    flat = x.flatten(1)
    expected = ((flat - flat.mean(1, keepdim=True)) / torch.sqrt(flat.var(1, unbiased=False, keepdim=True) + 1e-3))
    torch.testing.assert_close(y.flatten(1), expected, atol=1e-5, rtol=1e-4)
    assert everything.count_params() == 2 * 3 * 4 * 5
