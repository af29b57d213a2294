"""Anomaly detection by reconstruction error, and the PCA baseline it has to beat.

An autoencoder trained only on normal data reconstructs normal inputs well and
unfamiliar ones badly, so the per-sample reconstruction error is an anomaly score.
:func:`detection_auc` turns scores into the area under the ROC curve (scikit-learn's
``roc_auc_score``: 1.0 perfect, 0.5 chance). :func:`pca_reconstruction_errors` is the
linear baseline: PCA with as many components as the autoencoder's code.

>>> import numpy as np
>>> detection_auc(np.array([0.1, 0.2, 0.9]), np.array([False, False, True]))
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score


def reconstruction_errors(model: Any, x: Any, batch_size: int = 512) -> np.ndarray:
    """Mean squared error between each sample and the model's reconstruction of it (one score a sample).

    >>> from glassnet.layers import Activation, Input
    >>> from glassnet.models import Model
    >>> inp = Input(shape=(2,)); identity = Model(inp, Activation('linear')(inp))
    >>> reconstruction_errors(identity, np.ones((3, 2), 'float32')).tolist()
    [0.0, 0.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float32)
    reconstructed = model.predict(x, batch_size=batch_size, verbose=0)
    return ((reconstructed.reshape(len(x), -1) - x.reshape(len(x), -1)) ** 2).mean(1)


def pca_reconstruction_errors(x_train: Any, x_test: Any, n_components: int, seed: int = 0) -> np.ndarray:
    """Per-sample mean squared error of ``x_test`` projected on the first ``n_components`` principal
    components of ``x_train`` and back (scikit-learn's PCA; the linear autoencoder's optimum).

    >>> rng = np.random.default_rng(0)
    >>> line = rng.normal(size=(50, 1)) * np.array([[1.0, 2.0]])  # points on a line through 0
    >>> errors = pca_reconstruction_errors(line, np.array([[1.0, 2.0], [2.0, -1.0]]), n_components=1)
    >>> [round(e, 4) for e in errors.tolist()]
    [0.0, 2.5]
    """
    flat_train = np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1)
    flat_test = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
    pca = PCA(n_components=n_components, random_state=seed).fit(flat_train)
    reconstructed = pca.inverse_transform(pca.transform(flat_test))
    return ((reconstructed - flat_test) ** 2).mean(1)


def detection_auc(scores: Any, is_anomaly: Any) -> float:
    """ROC-AUC of anomaly ``scores`` (higher = more anomalous) against the true ``is_anomaly`` flags.

    >>> round(detection_auc([0.3, 0.1, 0.2, 0.4], [True, False, False, False]), 4)
    0.6667
    """
    flags = np.asarray(is_anomaly).astype(bool)
    if flags.all() or not flags.any():
        raise ValueError("detection_auc needs both normal and anomalous samples in is_anomaly; got only "
                         f"{'anomalies' if flags.all() else 'normal samples'} ({len(flags)}).")
    return float(roc_auc_score(flags, np.asarray(scores, dtype=np.float64)))


__all__ = ["reconstruction_errors", "pca_reconstruction_errors", "detection_auc"]
