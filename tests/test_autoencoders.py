"""Autoencoder builders and variants on tiny inputs, each checked against a reference: torch's autograd
Jacobian, torch.distributions' KL divergence, numpy and scikit-learn formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from glassnet import regularizers
from glassnet.errors import ShapeError
from glassnet.layers import Dense, Input
from glassnet.models import Model
from glassnet.optimizers import Adam
from glassnet.unsupervised import (ContractiveAutoencoder, KLSparsity, conv_autoencoder, contractive_penalty,
                                   dense_autoencoder, detection_auc, kl_divergence, pca_reconstruction_errors,
                                   pretrain_layerwise, reconstruction_errors, variational_autoencoder)
from glassnet.unsupervised.vae import Sampling


def test_dense_autoencoder_parts_work_alone_and_share_the_weights():
    ae = dense_autoencoder((28, 28, 1), code_size=8, hidden=(32,))
    x = torch.rand(5, 28, 28, 1)
    ae.eval()
    code = ae.encoder(x)
    assert code.shape == (5, 8) and ae.decoder(code).shape == (5, 28, 28, 1)
    torch.testing.assert_close(ae(x), ae.decoder(code))
    assert ae.count_params() == ae.encoder.count_params() + ae.decoder.count_params()
    assert {id(p) for p in ae.parameters()} == {id(p) for p in [*ae.encoder.parameters(), *ae.decoder.parameters()]}
    assert float(ae(x).detach().min()) >= 0 and float(ae(x).detach().max()) <= 1  # sigmoid output for pixels


@pytest.mark.parametrize("code_size,code_shape", [(None, (7, 7, 16)), (12, (12,))])
def test_conv_autoencoder_halves_and_restores_the_image(code_size, code_shape):
    ae = conv_autoencoder((28, 28, 1), filters=(8, 16), code_size=code_size)
    x = np.random.rand(3, 28, 28, 1).astype("float32")
    assert ae.encoder.predict(x, verbose=0).shape == (3, *code_shape)
    assert ae.predict(x, verbose=0).shape == (3, 28, 28, 1)
    assert ae.decoder.predict(np.zeros((2, *code_shape), "float32"), verbose=0).shape == (2, 28, 28, 1)


def test_conv_autoencoder_says_which_sizes_fit():
    with pytest.raises(ShapeError, match=r"divisible by 8; got 28x28"):
        conv_autoencoder((28, 28, 1), filters=(8, 16, 32))
    with pytest.raises(ShapeError, match="use dense_autoencoder"):
        conv_autoencoder((784,))


def test_denoising_autoencoder_sees_noise_only_while_training():
    ae = dense_autoencoder((6,), code_size=2, hidden=(), noise_stddev=0.5)
    x = torch.rand(4, 6)
    ae.eval()
    torch.testing.assert_close(ae(x), ae.decoder(ae.encoder(x)))  # predict: the clean input
    ae.train()
    assert not torch.allclose(ae(x), ae.decoder(ae.encoder(x)))
    noise = ae.get_layer("noise")
    assert noise.stddev == 0.5
    ae.compile(optimizer="adam", loss="mse")
    history = ae.fit(x.numpy(), x.numpy(), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_sparse_penalties_join_the_loss_with_their_formulas():
    l1 = dense_autoencoder((6,), code_size=3, hidden=(), code_activation="relu",
                           code_activity_regularizer=regularizers.l1(0.01))
    x = torch.rand(4, 6)
    code = l1.encoder(x)
    assert len(l1.losses) == 1
    assert l1.losses[0].item() == pytest.approx(0.01 * code.abs().sum().item(), rel=1e-5)
    kl = KLSparsity(rho=0.05, beta=3.0)
    acts = torch.rand(10, 4)
    rho_hat = acts.numpy().mean(0)
    expected = 3.0 * np.sum(0.05 * np.log(0.05 / rho_hat) + 0.95 * np.log(0.95 / (1 - rho_hat)))
    assert kl(acts).item() == pytest.approx(expected, rel=1e-5)
    assert KLSparsity.from_config(kl.get_config()).get_config() == {"rho": 0.05, "beta": 3.0}
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\)"):
        KLSparsity(rho=0.0)


def test_sparse_training_lowers_the_mean_code_activation():
    x = np.random.default_rng(0).random((64, 10)).astype("float32")
    means = []
    for beta in (0.0, 2.0):
        torch.manual_seed(0)
        ae = dense_autoencoder((10,), code_size=6, hidden=(), code_activation="sigmoid",
                               code_activity_regularizer=KLSparsity(rho=0.05, beta=beta) if beta else None)
        ae.compile(optimizer=Adam(0.02), loss="mse")
        ae.fit(x, x, epochs=40, batch_size=16, verbose=0)
        means.append(float(ae.encoder.predict(x, verbose=0).mean()))
    assert means[1] < 0.6 * means[0]


def _tiny_encoder() -> Model:
    inputs = Input(shape=(5,))
    return Model(inputs, Dense(3, activation="sigmoid")(Dense(4, activation="tanh")(inputs)))


def test_contractive_penalty_is_the_jacobian_frobenius_norm_from_autograd():
    encoder = _tiny_encoder()
    x = torch.randn(4, 5)
    expected = np.mean([torch.autograd.functional.jacobian(lambda v: encoder(v[None])[0], x[i]).pow(2).sum().item()
                        for i in range(len(x))])
    penalty = contractive_penalty(encoder, x)
    assert penalty.item() == pytest.approx(expected, rel=1e-5)
    penalty.backward()  # differentiable in the weights
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in encoder.parameters())


def test_contractive_autoencoder_adds_the_penalty_and_shrinks_it():
    x = np.random.default_rng(1).random((64, 5)).astype("float32")
    penalties = []
    for contraction in (0.0, 1.0):
        torch.manual_seed(0)
        ae = dense_autoencoder((5,), code_size=3, hidden=(), code_activation="sigmoid", output_activation=None)
        cae = ContractiveAutoencoder(ae.encoder, ae.decoder, contraction=contraction)
        cae.compile(optimizer=Adam(0.02), loss="mse")
        history = cae.fit(x, x, epochs=30, batch_size=16, verbose=0)
        penalties.append(contractive_penalty(cae.encoder, torch.as_tensor(x)).item())
        mse = float(((cae.predict(x, verbose=0) - x) ** 2).mean())
        assert cae.evaluate(x, x, verbose=0) == pytest.approx(mse + contraction * penalties[-1], rel=1e-3)
        assert len(history.history["contractive_penalty"]) == 30
    assert penalties[1] < 0.5 * penalties[0]


def test_vae_kl_term_matches_the_closed_form_of_torch_distributions():
    mean, log_var = torch.randn(6, 3), torch.randn(6, 3)
    reference = torch.distributions.kl_divergence(torch.distributions.Normal(mean, (0.5 * log_var).exp()),
                                                  torch.distributions.Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(kl_divergence(mean, log_var), reference)


def test_sampling_is_reparameterised():
    mean, log_var = torch.full((50_000, 1), 2.0, requires_grad=True), torch.full((50_000, 1), np.log(0.25),
                                                                                   requires_grad=True)
    z = Sampling()([mean, log_var])
    assert z.mean().item() == pytest.approx(2.0, abs=0.01) and z.std().item() == pytest.approx(0.5, rel=0.02)
    z.sum().backward()  # gradients reach both parameters of the distribution
    assert mean.grad is not None and log_var.grad is not None


def test_vae_step_reports_its_terms_and_learns():
    torch.manual_seed(0)
    vae = variational_autoencoder((12,), latent_dim=2, hidden=(8,), beta=0.5)
    x = (np.random.default_rng(0).random((64, 12)) > 0.5).astype("float32")
    vae.compile(optimizer="adam")
    history = vae.fit(x, epochs=15, batch_size=16, verbose=0).history
    np.testing.assert_allclose(history["loss"],
                               np.add(history["reconstruction_loss"], 0.5 * np.array(history["kl_loss"])), rtol=1e-4)
    assert history["loss"][-1] < history["loss"][0]
    result = vae.evaluate(x, verbose=0, return_dict=True)
    assert set(result) == {"loss", "reconstruction_loss", "kl_loss"}
    vae.eval()
    z_mean, _ = vae.encoder(torch.as_tensor(x))
    torch.testing.assert_close(vae(torch.as_tensor(x)), vae.decoder(z_mean))  # inference: the mean code
    assert vae.sample(4, seed=1).shape == (4, 12)
    np.testing.assert_array_equal(vae.sample(4, seed=1), vae.sample(4, seed=1))


def test_pretrain_layerwise_trains_each_layer_on_the_codes_below():
    x = np.random.default_rng(0).random((128, 16)).astype("float32")
    layers = [Dense(8, activation="relu"), Dense(4, activation="relu")]
    histories = pretrain_layerwise(layers, x.reshape(128, 4, 4), epochs=20, batch_size=32, optimizer="adam")
    assert [tuple(layer.weight.shape) for layer in layers] == [(8, 16), (4, 8)]
    for history in histories:
        assert history.history["loss"][-1] < history.history["loss"][0]
    before = [w.copy() for w in layers[0].get_weights()]
    model = Model(inputs := Input(shape=(16,)), Dense(3, activation="softmax")(layers[1](layers[0](inputs))))
    np.testing.assert_array_equal(model.get_layer(layers[0].name).get_weights()[0], before[0])


def test_anomaly_scores_against_numpy_and_scikit_learn():
    rng = np.random.default_rng(0)
    x_train, x_test = rng.random((40, 6)), rng.random((5, 6))
    pca = PCA(n_components=2).fit(x_train)
    expected = ((pca.inverse_transform(pca.transform(x_test)) - x_test) ** 2).mean(1)
    np.testing.assert_allclose(pca_reconstruction_errors(x_train, x_test, 2), expected, rtol=1e-4)
    ae = dense_autoencoder((6,), code_size=2, hidden=(), output_activation=None)
    recon = ae.predict(x_test.astype("float32"), verbose=0)
    np.testing.assert_allclose(reconstruction_errors(ae, x_test), ((recon - x_test) ** 2).mean(1), rtol=1e-5)
    with pytest.raises(ValueError, match="both normal and anomalous"):
        detection_auc([0.1, 0.2], [False, False])


def test_autoencoder_saves_and_loads_with_its_parts_noise_and_sparsity(tmp_path):
    from glassnet.models import load_model
    ae = dense_autoencoder((6,), code_size=2, hidden=(4,), noise_stddev=0.1, code_activation="sigmoid",
                           code_activity_regularizer=KLSparsity(0.1, 2.0))
    ae.compile(optimizer="adam", loss="mse")
    x = np.random.rand(8, 6).astype("float32")
    ae.fit(x, x, epochs=1, verbose=0)
    ae.save(tmp_path / "ae.keras")
    loaded = load_model(tmp_path / "ae.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ae.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_allclose(loaded.encoder.predict(x, verbose=0), ae.encoder.predict(x, verbose=0), atol=1e-6)
    assert loaded.get_layer("noise").stddev == 0.1
    loaded.encoder(torch.as_tensor(x))
    assert loaded.encoder.losses[0].item() == pytest.approx(ae.encoder.losses[0].item(), rel=1e-5)
