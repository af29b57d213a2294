"""glassnet.diagnose.Monitor: real training on small MNIST subsets, asserting the diagnosis; its numbers
against torch computed by hand; hooks removed; the plot; the detectors on recorded histories."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from glassnet import initializers, optimizers
from glassnet.diagnose import Finding, Monitor
from glassnet.diagnose.findings import dev_loss_turned_up, learning_rate
from glassnet.errors import InvalidArgumentError, NaNLossError
from glassnet.layers import Dense, Flatten
from glassnet.models import Sequential

from conftest import require_data


@pytest.fixture(scope="module")
def mnist_1000():
    from glassnet.datasets import mnist
    root = require_data("mnist").parent
    (x, y), _ = mnist.load_data(data_dir=root, download=False)
    return x[:1000], y[:1000]


def _fit(layers, x, y, optimizer="sgd", epochs=1, **fit_options) -> Monitor:
    model = Sequential([Flatten(input_shape=(28, 28)), *layers, Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    monitor = Monitor()
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, callbacks=[monitor], **fit_options)
    return monitor


def _kinds(monitor: Monitor) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in monitor.findings:
        found.setdefault(f.kind, set()).add(f.layer)
    return found


def _deep(activation: str, init, depth: int = 10) -> list:
    return [Dense(32, activation=activation, kernel_initializer=init) for _ in range(depth)]


def test_deep_sigmoid_net_with_small_weights_has_vanishing_gradients_at_its_first_layers(mnist_1000):
    x, y = mnist_1000
    monitor = _fit(_deep("sigmoid", initializers.RandomNormal(stddev=0.01)), x / 255.0, y)
    vanishing = _kinds(monitor).get("vanishing gradients", set())
    assert {"dense", "dense_1", "dense_2"} <= vanishing
    assert "poor initialisation" in _kinds(monitor)  # the activations' variance collapses layer by layer
    assert len(monitor.history["step"]) == 4  # ~4 samples per epoch by default (16 steps)


def test_the_same_depth_with_relu_and_he_initialisation_is_healthy(mnist_1000):
    x, y = mnist_1000
    monitor = _fit(_deep("relu", "he_normal"), x / 255.0, y)
    kinds = _kinds(monitor)
    assert "vanishing gradients" not in kinds and "poor initialisation" not in kinds, monitor.findings


def test_relu_bias_at_minus_10_gives_dead_relus_on_that_layer(mnist_1000):
    x, y = mnist_1000
    monitor = _fit([Dense(32, activation="relu"), Dense(32, activation="relu", bias_initializer=initializers.Constant(-10.0))],
                   x / 255.0, y)
    assert _kinds(monitor)["dead ReLUs"] == {"dense_1"}
    assert monitor.history["layers"]["dense_1"]["dead_fraction"] == [1.0] * 4


def test_adam_at_learning_rate_10_is_too_high(mnist_1000):
    x, y = mnist_1000
    monitor = _fit([Dense(32, activation="relu")], x / 255.0, y, optimizer=optimizers.Adam(learning_rate=10.0))
    assert "learning rate too high" in _kinds(monitor)
    healthy = _fit([Dense(32, activation="relu")], x / 255.0, y, optimizer=optimizers.Adam(learning_rate=1e-3))
    assert "learning rate too high" not in _kinds(healthy)


def test_pixels_left_in_0_255_are_unnormalised_inputs(mnist_1000):
    x, y = mnist_1000
    raw = _fit([Dense(32, activation="relu")], x.astype("float32"), y, optimizer=optimizers.SGD(learning_rate=1e-4))
    finding = next(f for f in raw.findings if f.kind == "unnormalised inputs")
    assert "mean 3" in finding.evidence and "/ 255" in finding.advice  # MNIST's pixel mean is ~33
    scaled = _fit([Dense(32, activation="relu")], x / 255.0, y)
    assert "unnormalised inputs" not in _kinds(scaled)


def test_numbers_equal_torch_computed_by_hand_on_the_same_batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    model = Sequential([Dense(5, activation="relu", input_dim=6, bias_initializer=initializers.Constant(-0.3)),
                        Dense(2, activation="sigmoid")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse", precision="float32")
    first, last = model.layers
    w1, b1, w2, b2 = (p.detach().clone().requires_grad_(True) for p in
                      (first.weight, first.bias, last.weight, last.bias))
    x_t = torch.from_numpy(x)
    z1 = F.linear(x_t, w1, b1)
    a1 = torch.relu(z1)
    a2 = torch.sigmoid(F.linear(a1, w2, b2))
    F.mse_loss(a2, torch.from_numpy(y)).backward()
    z1, a1, a2 = z1.detach(), a1.detach(), a2.detach()

    monitor = Monitor(every=1)
    model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[monitor])

    one, two = monitor.history["layers"]["dense"], monitor.history["layers"]["dense_1"]
    close = dict(rel=1e-4, abs=1e-7)
    assert one["act_mean"][0] == pytest.approx(float(a1.mean()), **close)
    assert one["act_std"][0] == pytest.approx(float(a1.std()), **close)
    assert one["dead_fraction"][0] == pytest.approx(float((a1 <= 0).all(dim=0).float().mean()))
    assert two["saturated_fraction"][0] == pytest.approx(float(((a2 < 0.02) | (a2 > 0.98)).float().mean()))
    grad1 = torch.sqrt(w1.grad.pow(2).sum() + b1.grad.pow(2).sum())
    assert one["grad_norm"][0] == pytest.approx(float(grad1), **close)
    assert one["grad_rms"][0] == pytest.approx(float(grad1) / np.sqrt(w1.numel() + b1.numel()), **close)
    with torch.no_grad():
        new_norm = torch.sqrt((w2 - 0.1 * w2.grad).pow(2).sum() + (b2 - 0.1 * b2.grad).pow(2).sum())
    assert two["weight_norm"][0] == pytest.approx(float(new_norm), **close)
    update = 0.1 * torch.sqrt(w2.grad.pow(2).sum() + b2.grad.pow(2).sum())
    assert two["update_ratio"][0] == pytest.approx(float(update / new_norm), **close)
    assert monitor.history["input_mean"][0] == pytest.approx(float(x.mean()), **close)
    initial = monitor.history["initial"]["dense"]
    assert initial["z_var"] == pytest.approx(float(z1.var()), **close)
    assert initial["var_ratio"] == pytest.approx(float(z1.var() / x_t.var()), **close)


def test_no_hook_is_left_registered_and_other_steps_are_not_sampled():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(80, 4)).astype("float32"), rng.normal(size=(80, 1)).astype("float32")
    model = Sequential([Dense(8, activation="tanh", input_dim=4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    monitor = Monitor(every=3)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[monitor])
    assert monitor.history["step"] == [0, 3, 6, 9, 12, 15, 18]
    assert monitor.history["epoch"] == [0, 0, 0, 0, 1, 1, 1]
    assert all(not layer._forward_hooks for layer in model.modules())
    assert len(monitor.history["layers"]["dense"]["saturated_fraction"]) == 7


def test_plot_writes_a_png_and_report_prints_the_findings(mnist_1000, tmp_path, capsys):
    x, y = mnist_1000
    monitor = _fit([Dense(16, activation="relu")], x[:256].astype("float32"), y[:256],
                   optimizer=optimizers.SGD(learning_rate=1e-4))
    path = tmp_path / "health.png"
    figure = monitor.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.axes[0].get_yscale() == "log" and len(figure.axes[0].lines) == 2
    found = monitor.report()
    assert "unnormalised inputs" in capsys.readouterr().out
    assert all(isinstance(f, Finding) for f in found) and found == monitor.findings


def test_dev_loss_turning_up_names_the_early_stopping_epoch():
    logs = {"loss": [1.0, 0.7, 0.5, 0.3, 0.2], "val_loss": [1.0, 0.8, 0.75, 0.9, 1.1]}
    (finding,) = dev_loss_turned_up({"epoch_logs": logs})
    assert "lowest at epoch 3" in finding.evidence and "stopped at epoch 4" in finding.advice
    assert dev_loss_turned_up({"epoch_logs": {"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]}}) == []


def test_loss_rising_over_epochs_and_tiny_updates_judge_the_learning_rate():
    assert learning_rate({"layers": {}, "epoch_logs": {"loss": [1.0, 1.2, 1.5]}})[0].kind == "learning rate too high"
    slow = learning_rate({"layers": {"a": {"update_ratio": [1e-7, 2e-7]}}, "epoch_logs": {}})
    assert slow[0].kind == "learning rate too low"


def test_bad_arguments_are_refused():
    with pytest.raises(InvalidArgumentError, match="every must be a positive integer"):
        Monitor(every=0)


def test_the_first_layer_to_output_nan_is_named_when_the_loss_becomes_nan():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    x[5, 2] = np.nan
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    monitor = Monitor(every=1)
    with pytest.raises(NaNLossError):
        model.fit(x, y, batch_size=32, verbose=0, callbacks=[monitor])
    (finding,) = [f for f in monitor.findings if f.kind == "NaN/inf activations"]
    assert finding.layer == "dense" and "step 0" in finding.evidence
    assert all(not layer._forward_hooks for layer in model.modules())


def test_an_mlp_overfitting_200_mnist_images_turns_its_dev_loss_up(mnist_1000):
    x, y = mnist_1000
    x = x.astype("float32") / 255.0
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(256, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy")
    monitor = Monitor()
    history = model.fit(x[:200], y[:200], batch_size=50, epochs=25, verbose=0, callbacks=[monitor],
                        validation_data=(x[500:1000], y[500:1000]))
    (finding,) = [f for f in monitor.findings if f.kind == "dev loss turned up"]
    best = int(np.argmin(history.history["val_loss"])) + 1
    assert f"lowest at epoch {best} " in finding.evidence and f"stopped at epoch {best + 1}" in finding.advice
    assert monitor.history["epoch_logs"]["val_loss"] == history.history["val_loss"]


def test_max_layers_keeps_the_first_and_last_evenly_spaced_and_evaluate_is_not_recorded():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    model = Sequential([Dense(4, activation="tanh", input_dim=4), *[Dense(4, activation="tanh") for _ in range(5)],
                        Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    monitor = Monitor(every=1, max_layers=3)
    model.fit(x, y, batch_size=32, verbose=0, callbacks=[monitor], validation_data=(x, y))
    assert list(monitor.history["layers"]) == ["dense", "dense_3", "dense_6"]
    assert len(monitor.history["layers"]["dense"]["act_mean"]) == 2  # the 2 training steps, not validation


def test_sgd_at_1e_minus_8_is_a_learning_rate_too_low(mnist_1000):
    x, y = mnist_1000
    monitor = _fit([Dense(32, activation="relu")], x / 255.0, y, optimizer=optimizers.SGD(learning_rate=1e-8))
    assert "learning rate too low" in _kinds(monitor)


def test_dead_convolution_channels_are_counted_per_channel_against_torch():
    from glassnet.layers import Conv2D
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 2, 8)
    conv = Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1))
    model = Sequential([conv, Flatten(), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", precision="float32")
    with torch.no_grad():
        conv.bias[:2] = -100.0  # two of the four channels can never fire
    out = torch.relu(F.conv2d(torch.from_numpy(x).permute(0, 3, 1, 2), conv.weight.detach(), conv.bias.detach()))
    expected = float((out <= 0).all(dim=(0, 2, 3)).float().mean())
    monitor = Monitor(every=1)
    model.fit(x, y, batch_size=8, verbose=0, callbacks=[monitor], shuffle=False)
    assert expected >= 0.5
    assert monitor.history["layers"][conv.name]["dead_fraction"] == [pytest.approx(expected)]


def test_fit_diagnose_true_attaches_a_monitor_and_prints_its_findings(capsys):
    import numpy as np
    from glassnet.diagnose import Monitor
    from glassnet.layers import Dense
    from glassnet.models import Sequential

    rng = np.random.default_rng(0)
    x = (rng.random((128, 4)) * 255).astype("float32")            # pixels left in 0-255
    model = Sequential([Dense(8, activation="relu", input_dim=4), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, rng.integers(0, 2, 128), epochs=1, batch_size=32, verbose=2, diagnose=True)
    assert isinstance(history.monitor, Monitor) and history.monitor.history
    assert "unnormalised inputs" in {f.kind for f in history.monitor.findings}
    assert "unnormalised" in capsys.readouterr().out
    plain = model.fit(x, rng.integers(0, 2, 128), epochs=1, verbose=0)
    assert not hasattr(plain, "monitor")
