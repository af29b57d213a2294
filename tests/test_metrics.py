"""Metrics against scikit-learn on the same predictions."""

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from glassnet import metrics

rng = np.random.RandomState(1)


def _run(metric, y_true, y_pred, batches=3):
    for t, p in zip(np.array_split(y_true, batches), np.array_split(y_pred, batches)):
        metric.update(torch.tensor(t), torch.tensor(p, dtype=torch.float32))
    return float(metric.result())


def test_accuracy_sparse_categorical_and_binary():
    probs = rng.dirichlet(np.ones(5), 100)
    labels = rng.randint(0, 5, 100)
    expected = sk.accuracy_score(labels, probs.argmax(1))
    assert _run(metrics.get("accuracy", "sparse_categorical_crossentropy"), labels, probs) == pytest.approx(expected)
    assert _run(metrics.get("accuracy", "categorical_crossentropy"), np.eye(5)[labels], probs) == pytest.approx(expected)
    p = rng.rand(100, 1)
    t = rng.randint(0, 2, (100, 1))
    assert _run(metrics.get("accuracy", "binary_crossentropy"), t, p) == pytest.approx(sk.accuracy_score(t, p > 0.5))


def test_top_k_accuracy():
    probs = rng.dirichlet(np.ones(6), 60)
    labels = rng.randint(0, 6, 60)
    expected = sk.top_k_accuracy_score(labels, probs, k=3, labels=range(6))
    assert _run(metrics.SparseTopKCategoricalAccuracy(k=3), labels, probs) == pytest.approx(expected)


def test_precision_recall_auc_binary():
    p = rng.rand(200, 1)
    t = (rng.rand(200, 1) < p).astype("int64")
    assert _run(metrics.get("precision"), t, p) == pytest.approx(sk.precision_score(t, p > 0.5))
    assert _run(metrics.get("recall"), t, p) == pytest.approx(sk.recall_score(t, p > 0.5))
    assert _run(metrics.get("auc"), t, p) == pytest.approx(sk.roc_auc_score(t, p), abs=0.01)


def test_mae_metric():
    t, p = rng.rand(50, 2), rng.rand(50, 2)
    assert _run(metrics.get("mae"), t, p) == pytest.approx(sk.mean_absolute_error(t, p), rel=1e-5)


def test_reset_starts_over():
    metric = metrics.get("accuracy")
    metric.update(torch.tensor([0]), torch.tensor([[0.0, 1.0]]))
    metric.reset()
    metric.update(torch.tensor([1]), torch.tensor([[0.0, 1.0]]))
    assert float(metric.result()) == 1.0
