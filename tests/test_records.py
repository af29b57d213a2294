"""The record recipes (benchmarks/records.py) at tiny sizes: their models build, train and score."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import records  # noqa: E402  (benchmarks/records.py)


def torch_count(module: nn.Module) -> int:
    """Parameters plus BN running statistics, as Keras' count_params counts them."""
    buffers = sum(b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked"))
    return sum(p.numel() for p in module.parameters()) + buffers


def test_mnist_model_matches_the_torch_net_it_describes():
    model = records.mnist_model()
    reference = nn.Sequential(nn.Conv2d(1, 16, 5, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.Conv2d(16, 24, 5, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(24), nn.ReLU(),
                              nn.Flatten(), nn.Linear(4 * 4 * 24, 128), nn.ReLU(), nn.Linear(128, 10))
    assert model.count_params() == torch_count(reference) == 60730
    probabilities = model.predict(np.zeros((3, 28, 28, 1), np.uint8), verbose=0)
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)


def test_mnist_recipe_learns_on_a_small_slice(data_dir):
    result = records.run_mnist(seed=0, quick=True)  # 4,096 training digits, 2 epochs
    assert result["accuracy"] > 0.7  # chance is 0.1; the full recipe reaches 0.99


def test_cifar_model_trains_and_flip_tta_averages_mirrored_logits():
    torch.manual_seed(0)
    model = records.cifar_model((8, 16, 16))
    records.compile_cifar(model, steps=4)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 64)
    history = model.fit(x, np.eye(10, dtype=np.float32)[labels], batch_size=32, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    logits = model.predict(x, verbose=0)
    assert logits.shape == (64, 10)
    np.testing.assert_array_equal(model.predict(x, verbose=0), logits)  # augmentation is off in inference
    mirrored = model.predict(np.ascontiguousarray(x[:, :, ::-1]), verbose=0)
    expected = np.mean((logits + mirrored).argmax(-1) == labels)
    assert records.flip_tta_accuracy(model, x, labels[:, None]) == pytest.approx(expected)


def test_sections_report_mean_and_spread():
    runs = [{"seed": s, "accuracy": a, "process_seconds": t} for s, a, t in [(0, 0.99, 17.0), (1, 0.992, 18.0)]]
    text = records.mnist_section(runs, "records.py --recipe mnist")
    assert "| mean ± std | 0.9910 ± 0.0014 | 17.5 ± 0.7 |" in text


def test_cifar_section_says_the_gpu_time_was_not_measured_on_a_cpu():
    runs = [{"seed": 0, "epochs": 3, "widths": [32, 128, 128], "fit_seconds": 500.0, "accuracy": 0.8,
             "tta_accuracy": 0.81, "total_seconds": 590.0, "lookahead": False}]
    text = records.cifar_section(runs, "records.py --recipe cifar10", budget=600)
    assert "| 0 | 3 | [32, 128, 128] | 500.0 | 0.8000 | 0.8100 | 590.0 |" in text
    if not torch.cuda.is_available():
        assert "600 s budget" in text and "was NOT measured: no GPU" in text
