"""Anomaly detection on real MNIST: an autoencoder trained without one digit flags that digit by its
reconstruction error better than PCA with as many components as the code."""

from __future__ import annotations

import time

import pytest
import torch

from glassnet.unsupervised import dense_autoencoder, detection_auc, pca_reconstruction_errors, reconstruction_errors

HELD_OUT = 0
CODE_SIZE = 32


@pytest.mark.slow
def test_autoencoder_beats_pca_at_flagging_an_unseen_digit(data_dir):
    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir=data_dir, download=False)
    normal = x_train[y_train != HELD_OUT][:12000, ..., None].astype("float32") / 255.0
    x_test, is_anomaly = x_test[:4000, ..., None].astype("float32") / 255.0, y_test[:4000] == HELD_OUT
    start = time.perf_counter()
    torch.manual_seed(0)
    autoencoder = dense_autoencoder((28, 28, 1), code_size=CODE_SIZE, hidden=(256,))
    autoencoder.compile(optimizer="adam", loss="mse")
    autoencoder.fit(normal, normal, epochs=5, batch_size=128, verbose=0)
    ae_auc = detection_auc(reconstruction_errors(autoencoder, x_test), is_anomaly)
    pca_auc = detection_auc(pca_reconstruction_errors(normal, x_test, CODE_SIZE), is_anomaly)
    print(f"\nheld-out digit {HELD_OUT}, code size {CODE_SIZE}: autoencoder ROC-AUC {ae_auc:.3f}, "
          f"PCA {pca_auc:.3f} ({time.perf_counter() - start:.0f} s)")
    assert ae_auc > 0.8
    assert ae_auc > pca_auc + 0.05
