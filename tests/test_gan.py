"""GAN, ConditionalGAN, DCGAN builders, sample grids and the classifier score."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import entropy

from glassnet import optimizers
from glassnet.errors import InvalidArgumentError
from glassnet.generative import (GAN, ClassifierScore, ConditionalGAN, GANSampleGrid, classifier_score, save_image_grid,
                                 dcgan_discriminator, dcgan_generator, score_from_probabilities)
from glassnet.layers import Dense, Flatten, Input, LeakyReLU, Reshape
from glassnet.models import Sequential


def tiny_gan(latent_dim=3, smoothing=0.0):
    generator = Sequential([Input(shape=(latent_dim,)), Dense(8, activation="relu"), Dense(4, activation="sigmoid"),
                            Reshape((2, 2, 1))])
    discriminator = Sequential([Input(shape=(2, 2, 1)), Flatten(), Dense(8), LeakyReLU(0.2), Dense(1)])
    return GAN(generator, discriminator, latent_dim, label_smoothing=smoothing)


def test_one_train_step_equals_a_hand_written_torch_step():
    gan = tiny_gan(smoothing=0.1)
    generator, discriminator = copy.deepcopy(gan.generator), copy.deepcopy(gan.discriminator)
    gan.compile(d_optimizer=optimizers.SGD(0.1), g_optimizer=optimizers.Adam(0.01, beta_1=0.5))
    real = torch.rand(6, 2, 2, 1)
    torch.manual_seed(7)
    logs = gan.train_step((real,))

    torch.manual_seed(7)  # the reference: two players, two torch optimizers, the textbook losses
    d_opt = torch.optim.SGD(discriminator.parameters(), lr=0.1)
    g_opt = torch.optim.Adam(generator.parameters(), lr=0.01, betas=(0.5, 0.999), eps=1e-7)
    with torch.no_grad():
        fakes = generator(torch.randn(6, 3))
    scores = discriminator(torch.cat([real, fakes]))
    targets = torch.cat([torch.full((6, 1), 0.9), torch.zeros(6, 1)])
    d_loss = F.binary_cross_entropy_with_logits(scores, targets)
    d_opt.zero_grad(); d_loss.backward(); d_opt.step()
    g_loss = F.binary_cross_entropy_with_logits(discriminator(generator(torch.randn(6, 3))), torch.ones(6, 1))
    g_opt.zero_grad(); g_loss.backward(); g_opt.step()

    assert float(logs["d_loss"]) == pytest.approx(d_loss.item(), rel=1e-6)
    assert float(logs["g_loss"]) == pytest.approx(g_loss.item(), rel=1e-6)
    for ours, theirs in ((gan.generator, generator), (gan.discriminator, discriminator)):
        for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
            torch.testing.assert_close(a, b, msg=name)


def test_each_player_moves_only_its_own_weights():
    gan = tiny_gan()
    gan.compile(d_optimizer=optimizers.SGD(0.0), g_optimizer=optimizers.SGD(0.5))
    d_before = [p.detach().clone() for p in gan.discriminator.parameters()]
    g_before = [p.detach().clone() for p in gan.generator.parameters()]
    gan.train_step((torch.rand(4, 2, 2, 1),))
    assert all(torch.equal(a, b) for a, b in zip(d_before, gan.discriminator.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(g_before, gan.generator.parameters()))


def test_fit_gives_history_progress_bar_and_per_epoch_pictures_and_scores(tmp_path, capsys):
    gan = tiny_gan()
    gan.compile(d_optimizer="adam", g_optimizer="adam")
    clf = Sequential([Input(shape=(2, 2, 1)), Flatten(), Dense(3, activation="softmax")])
    grid = GANSampleGrid(tmp_path, n=8, columns=4)
    history = gan.fit(np.random.rand(32, 2, 2, 1).astype("float32"), batch_size=8, epochs=2, verbose=1,
                      callbacks=[ClassifierScore(clf, n=50), grid],
                      validation_data=(np.random.rand(8, 2, 2, 1).astype("float32"),))
    assert {"d_loss", "g_loss", "classifier_score", "confident_share", "class_spread", "val_d_loss",
            "val_g_loss"} <= set(history.history)
    assert len(history.history["d_loss"]) == 2 and len(grid.paths) == 2
    assert (tmp_path / "gan_epoch_002.png").stat().st_size > 1000
    with pytest.raises(InvalidArgumentError, match="images"):
        save_image_grid(np.zeros((3, 4)), tmp_path / "x.png")
    assert "d_loss" in capsys.readouterr().out
    assert 1.0 <= history.history["classifier_score"][-1] <= 3.0


def test_compile_refuses_one_optimizer_for_both_players():
    gan = tiny_gan()
    shared = optimizers.Adam()
    with pytest.raises(InvalidArgumentError, match="its own state"):
        gan.compile(d_optimizer=shared, g_optimizer=shared)
    with pytest.raises(InvalidArgumentError, match="label_smoothing"):
        tiny_gan(smoothing=0.7)


def test_score_is_exp_mean_kl_to_the_marginal_as_scipy_computes_it():
    p = np.random.RandomState(0).dirichlet(np.full(10, 0.3), size=200)
    marginal = p.mean(axis=0)
    expected = np.exp(np.mean([entropy(row, marginal) for row in p]))
    result = score_from_probabilities(p)
    assert result["score"] == pytest.approx(expected, rel=1e-6)
    assert result["class_spread"] == pytest.approx(np.exp(entropy(marginal)), rel=1e-6)
    assert result["confident_share"] == pytest.approx((p.max(axis=1) >= 0.9).mean())


def test_dcgan_builders_shapes_and_errors():
    for shape in ((28, 28, 1), (32, 32, 3)):
        generator, discriminator = dcgan_generator(8, shape, width=4), dcgan_discriminator(shape, width=4)
        images = generator(torch.randn(2, 8))
        assert tuple(images.shape) == (2, *shape) and 0 <= images.min() and images.max() <= 1
        assert tuple(discriminator(images).shape) == (2, 1)
    with pytest.raises(InvalidArgumentError, match="divisible by 4"):
        dcgan_generator(8, (30, 30, 1))


def test_conditional_gan_feeds_the_label_to_both_networks():
    cgan = ConditionalGAN(dcgan_generator(4, (28, 28, 1), width=4, num_classes=10),
                          dcgan_discriminator((28, 28, 1), width=4, num_classes=10), 4, num_classes=10)
    cgan.compile(d_optimizer="adam", g_optimizer="adam")
    same_codes = [cgan.generate(labels=[c] * 2, seed=3) for c in (1, 2)]
    assert not np.allclose(same_codes[0], same_codes[1])  # one code, two classes: two images
    d_embedding = [m for m in cgan.discriminator.modules() if type(m).__name__ == "Embedding"][0]
    before = d_embedding.weight.detach().clone()
    history = cgan.fit(np.random.rand(16, 28, 28, 1).astype("float32"), np.arange(16) % 10, batch_size=8,
                       epochs=1, verbose=0)
    assert not torch.equal(before, d_embedding.weight)  # the discriminator learns from the labels
    assert np.isfinite(history.history["g_loss"][0])
    with pytest.raises(InvalidArgumentError, match="needs the class labels"):
        cgan.fit(np.random.rand(8, 28, 28, 1).astype("float32"), batch_size=8, verbose=0)
    with pytest.raises(InvalidArgumentError, match="outside 0..9"):
        cgan.generate(labels=[10])


@pytest.mark.slow
def test_dcgan_on_mnist_raises_the_classifier_score(data_dir):
    from glassnet.datasets import mnist
    (x, y), _ = mnist.load_data(data_dir=data_dir, download=False)
    x = x[:6000, ..., None].astype("float32") / 255
    classifier = Sequential([Input(shape=(28, 28, 1)), Flatten(), Dense(128, activation="relu"),
                             Dense(10, activation="softmax")])
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    classifier.fit(x, y[:6000], epochs=2, batch_size=128, verbose=0)
    gan = GAN(dcgan_generator(16, (28, 28, 1), width=16), dcgan_discriminator((28, 28, 1), width=16), 16)
    gan.compile(d_optimizer=optimizers.Adam(1e-3, beta_1=0.5), g_optimizer=optimizers.Adam(1e-3, beta_1=0.5))
    untrained = classifier_score(classifier, gan.generate(500, seed=0))["score"]
    history = gan.fit(x[:3000], epochs=3, batch_size=64, verbose=0, callbacks=[ClassifierScore(classifier, n=500)])
    scores = history.history["classifier_score"]
    assert untrained < 1.2
    assert scores[-1] > 1.8 and scores[-1] > scores[0]


@pytest.mark.slow
def test_conditional_gan_on_mnist_draws_the_asked_digit_far_more_often_than_chance(data_dir):
    from glassnet.datasets import mnist
    (x, y), _ = mnist.load_data(data_dir=data_dir, download=False)
    x, y = x[:6000, ..., None].astype("float32") / 255, y[:6000]
    classifier = Sequential([Input(shape=(28, 28, 1)), Flatten(), Dense(128, activation="relu"),
                             Dense(10, activation="softmax")])
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    classifier.fit(x, y, epochs=2, batch_size=128, verbose=0)
    cgan = ConditionalGAN(dcgan_generator(16, (28, 28, 1), width=16, num_classes=10),
                          dcgan_discriminator((28, 28, 1), width=16, num_classes=10), 16, num_classes=10)
    cgan.compile(d_optimizer=optimizers.Adam(1e-3, beta_1=0.5), g_optimizer=optimizers.Adam(1e-3, beta_1=0.5))
    cgan.fit(x[:3000], y[:3000], epochs=5, batch_size=64, verbose=0)
    asked = np.arange(500) % 10
    drawn = classifier.predict(cgan.generate(labels=asked, seed=0), verbose=0).argmax(1)
    assert (drawn == asked).mean() > 0.3  # chance: 0.1 (measured: 0.74)
