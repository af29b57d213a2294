"""Autoencoders on real MNIST: greedy layer-wise pretraining helps with 1% of the labels, and a VAE's 2-D
latent space groups the digits."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from glassnet.layers import Dense, Input
from glassnet.models import Sequential
from glassnet.unsupervised import pretrain_layerwise, variational_autoencoder


def _mnist(data_dir):
    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir=data_dir, download=False)
    return (x_train.reshape(-1, 784).astype("float32") / 255.0, y_train), \
        (x_test.reshape(-1, 784).astype("float32") / 255.0, y_test)


@pytest.mark.slow
def test_layerwise_pretraining_beats_training_from_scratch_with_one_percent_of_the_labels(data_dir):
    (x_train, y_train), (x_test, y_test) = _mnist(data_dir)
    labelled = np.random.default_rng(0).choice(len(x_train), 600, replace=False)  # 1% of the labels
    unlabelled = x_train[:12000]
    accuracy, seconds = {}, {}
    for pretrained in (True, False):
        torch.manual_seed(0)
        start = time.perf_counter()
        layers = [Dense(512, activation="sigmoid"), Dense(256, activation="sigmoid")]
        if pretrained:  # stacked denoising autoencoders, no labels used
            pretrain_layerwise(layers, unlabelled, epochs=5, batch_size=128, noise_stddev=0.5)
        model = Sequential([Input(shape=(784,)), *layers, Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train[labelled], y_train[labelled], epochs=30, batch_size=32, verbose=0)
        accuracy[pretrained] = model.evaluate(x_test[:5000], y_test[:5000], verbose=0)[1]
        seconds[pretrained] = time.perf_counter() - start
    print(f"\n600 labels: pretrained {accuracy[True]:.4f} ({seconds[True]:.0f} s), "
          f"from scratch {accuracy[False]:.4f} ({seconds[False]:.0f} s)")
    assert accuracy[True] > accuracy[False] + 0.01


@pytest.mark.slow
def test_vae_latent_space_groups_the_digits(data_dir):
    (x_train, y_train), (x_test, y_test) = _mnist(data_dir)
    torch.manual_seed(0)
    vae = variational_autoencoder((784,), latent_dim=2, hidden=(256,))
    vae.compile(optimizer="adam")
    history = vae.fit(x_train[:10000], epochs=4, batch_size=128, verbose=0).history
    assert history["reconstruction_loss"][-1] < history["reconstruction_loss"][0]
    assert history["kl_loss"][-1] > 1.0  # the code carries information
    codes = lambda x: vae.encoder.predict(x, verbose=0)[0]  # noqa: E731 - the means
    knn = KNeighborsClassifier(10).fit(codes(x_train[:5000]), y_train[:5000])
    score = knn.score(codes(x_test[:2000]), y_test[:2000])
    print(f"\nVAE 2-D latent space: 10-NN digit accuracy {score:.3f}")
    assert score > 0.35  # chance: 0.1 (after 4 short epochs; more training separates them further)
    samples = vae.sample(16, seed=0)
    assert samples.shape == (16, 784) and 0 <= samples.min() and samples.max() <= 1


@pytest.mark.slow
def test_denoising_conv_autoencoder_cleans_noisy_digits(data_dir):
    from glassnet.unsupervised import conv_autoencoder
    (x_train, _), (x_test, _) = _mnist(data_dir)
    x_train, x_test = x_train[:5000].reshape(-1, 28, 28, 1), x_test[:500].reshape(-1, 28, 28, 1)
    torch.manual_seed(0)
    start = time.perf_counter()
    ae = conv_autoencoder((28, 28, 1), filters=(16, 32), noise_stddev=0.4)  # noise while training only
    ae.compile(optimizer="adam", loss="binary_crossentropy")  # mse sits on a plateau here for epochs
    ae.fit(x_train, x_train, epochs=3, batch_size=64, verbose=0)
    noisy = np.clip(x_test + np.random.default_rng(0).normal(0, 0.4, x_test.shape), 0, 1).astype("float32")
    before = float(((noisy - x_test) ** 2).mean())
    after = float(((ae.predict(noisy, verbose=0) - x_test) ** 2).mean())
    print(f"\ndenoising: MSE to the clean digits {before:.4f} -> {after:.4f} ({time.perf_counter() - start:.0f} s)")
    assert after < 0.35 * before
