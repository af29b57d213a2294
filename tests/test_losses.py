"""Losses against torch's functional references and Keras' formulas."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet import losses

rng = np.random.RandomState(0)
LOGITS = torch.tensor(rng.randn(6, 4), dtype=torch.float32)
LABELS = torch.tensor(rng.randint(0, 4, 6))
ONE_HOT = F.one_hot(LABELS, 4).float()


def test_crossentropy_from_probabilities_and_logits_agree_with_torch():
    expected = F.cross_entropy(LOGITS, LABELS)
    probs = torch.softmax(LOGITS, -1)
    assert losses.get("sparse_categorical_crossentropy")(LABELS, probs).item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, LOGITS).item() == pytest.approx(expected.item(), rel=1e-6)
    assert losses.get("categorical_crossentropy")(ONE_HOT, probs).item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS).item() == pytest.approx(expected.item(), rel=1e-6)


def test_label_smoothing_matches_torch():
    smoothed = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(ONE_HOT, LOGITS)
    assert smoothed.item() == pytest.approx(F.cross_entropy(LOGITS, LABELS, label_smoothing=0.1).item(), rel=1e-5)


def test_binary_crossentropy():
    target = torch.tensor([[1.0], [0.0], [1.0]])
    logits = torch.tensor([[2.0], [-1.0], [-3.0]])
    expected = F.binary_cross_entropy_with_logits(logits, target)
    assert losses.BinaryCrossentropy(from_logits=True)(target, logits).item() == pytest.approx(expected.item(), rel=1e-6)
    assert losses.get("binary_crossentropy")(target, torch.sigmoid(logits)).item() == pytest.approx(expected.item(), rel=1e-4)


@pytest.mark.parametrize("shape", [(32, 1), (32,), (8, 5), (4, 3, 2)])
def test_binary_crossentropy_fused_mean_equals_keras_mean_of_means(shape):
    # the unweighted batch mean is one fused kernel; Keras' definition: mean over the last axis, then the batch
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(shape, generator=generator, requires_grad=True)
    target = (torch.rand(shape, generator=generator) > 0.5).float()
    loss = losses.BinaryCrossentropy(from_logits=True)
    fused, keras = loss(target, logits), loss.call(target, logits).mean()
    assert fused.item() == pytest.approx(keras.item(), rel=1e-6)
    torch.testing.assert_close(torch.autograd.grad(fused, logits)[0], torch.autograd.grad(keras, logits)[0])
    smoothed = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    assert smoothed(target, logits).item() == pytest.approx(smoothed.call(target, logits).mean().item(), rel=1e-6)


@pytest.mark.parametrize("name, reference", [
    ("mse", lambda t, p: ((p - t) ** 2).mean()),
    ("mae", lambda t, p: (p - t).abs().mean()),
    ("huber", lambda t, p: F.huber_loss(p, t)),
    ("hinge", lambda t, p: torch.clamp(1 - (2 * t - 1) * p, min=0).mean()),
    ("squared_hinge", lambda t, p: (torch.clamp(1 - (2 * t - 1) * p, min=0) ** 2).mean()),
])
def test_regression_and_margin_losses(name, reference):
    target = torch.tensor(rng.randint(0, 2, (5, 3)), dtype=torch.float32)
    pred = torch.tensor(rng.randn(5, 3), dtype=torch.float32)
    assert losses.get(name)(target, pred).item() == pytest.approx(reference(target, pred).item(), rel=1e-5)


def test_kl_divergence():
    p = torch.softmax(torch.tensor(rng.randn(4, 3), dtype=torch.float32), -1)
    q = torch.softmax(torch.tensor(rng.randn(4, 3), dtype=torch.float32), -1)
    expected = (p * (p / q).log()).sum(-1).mean()
    assert losses.get("kl_divergence")(p, q).item() == pytest.approx(expected.item(), rel=1e-5)


def test_probability_crossentropy_never_takes_log_of_zero():
    probs = torch.tensor([[1.0, 0.0]])
    value = losses.get("categorical_crossentropy")(torch.tensor([[0.0, 1.0]]), probs)
    assert torch.isfinite(value) and value.item() == pytest.approx(-np.log(1e-7), rel=1e-4)


def test_sample_weight_weights_each_sample():
    per = F.cross_entropy(LOGITS, LABELS, reduction="none")
    weight = torch.arange(6, dtype=torch.float32)
    value = losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, LOGITS, sample_weight=weight)
    assert value.item() == pytest.approx((per * weight).mean().item(), rel=1e-6)
