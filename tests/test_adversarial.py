"""FGSM / PGD against torch references on tiny nets, the model left untouched, value ranges respected;
then the worked examples on real data: the MNIST convnet (FGSM, PGD, adversarial training) and
pretrained MobileNet features + a linear head on LFW faces (an imperceptible targeted attack)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

try:
    from tests.conftest import require_data
except ImportError:  # pytest run from inside tests/
    from conftest import require_data
from glassnet.adversarial import (AdversarialTraining, accuracy_vs_epsilon, fgsm, frozen, infer_value_range, pgd,
                                  plot_adversarial_examples, predict_classes)
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.layers import (BatchNormalization, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D, Rescaling)
from glassnet.models import Sequential


def _small_net() -> Sequential:
    return Sequential([Input(shape=(6, 6, 1)), Conv2D(3, 3), BatchNormalization(), Flatten(), Dropout(0.5),
                       Dense(4, activation="softmax")])


def test_fgsm_is_the_sign_of_torch_autograd_gradient_clipped_to_the_range():
    model = _small_net().eval()
    x, y = torch.rand(5, 6, 6, 1), torch.tensor([0, 1, 2, 3, 0])
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(torch.log(model(xr)), y).backward()
    expected = (x + 0.1 * xr.grad.sign()).clamp(0, 1)
    torch.testing.assert_close(fgsm(model, x, y, 0.1), expected)
    targeted = fgsm(model, x, None, 0.1, targeted=True, target=2)
    torch.testing.assert_close(targeted, (x - 0.1 * _grad(model, x, torch.full((5,), 2)).sign()).clamp(0, 1))


def _grad(model, x, labels):
    xr = x.clone().requires_grad_(True)
    F.nll_loss(torch.log(model(xr)), labels).backward()
    return xr.grad


def test_attacks_leave_the_model_as_it_was():
    model = _small_net()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(np.random.rand(8, 6, 6, 1).astype("float32"), np.arange(8) % 4, verbose=0)
    model.train()
    model.layers[-1].trainable = False  # a frozen head stays frozen
    grads_before = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    flags_before = [p.requires_grad for p in model.parameters()]
    state_before = {k: v.clone() for k, v in model.state_dict().items()}
    x = np.random.rand(4, 6, 6, 1).astype("float32")
    with frozen(model):  # what the attacks do while they run
        assert not model.training and not any(p.requires_grad for p in model.parameters())
    fgsm(model, x, [0, 1, 2, 3], 0.1)
    pgd(model, x, [0, 1, 2, 3], 0.1, steps=3, seed=0)
    assert model.training and all(m.training for m in model.modules())  # BN and dropout back in training mode
    assert [p.requires_grad for p in model.parameters()] == flags_before
    for before, p in zip(grads_before, model.parameters()):
        assert (before is None and p.grad is None) or torch.equal(before, p.grad)
    for key, value in model.state_dict().items():  # BN running statistics untouched too
        assert torch.equal(value, state_before[key]), key


def test_pgd_stays_in_the_epsilon_box_and_the_value_range():
    model = _small_net().eval()
    x = np.random.rand(6, 6, 6, 1).astype("float32")
    x[0] = 0.0
    x[1] = 1.0
    adversarial = pgd(model, x, np.arange(6) % 4, epsilon=0.05, alpha=0.02, steps=7, seed=3)
    assert np.abs(adversarial - x).max() <= 0.05 + 1e-6
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    np.testing.assert_array_equal(adversarial, pgd(model, x, np.arange(6) % 4, 0.05, alpha=0.02, steps=7, seed=3))
    no_start = pgd(model, x, np.arange(6) % 4, 0.05, alpha=0.05, steps=1, random_start=False)
    np.testing.assert_allclose(no_start, fgsm(model, x, np.arange(6) % 4, 0.05), atol=1e-6)  # one step = FGSM


def test_value_range_is_inferred_or_given():
    assert infer_value_range(np.array([0.2, 0.9])) == (0.0, 1.0)
    assert infer_value_range(np.array([-1.0, 0.3])) == (-1.0, 1.0)  # MobileNet's preprocess_input range
    assert infer_value_range(np.array([0.0, 200.0])) == (0.0, 255.0)
    assert infer_value_range(np.array([-5.0, 2.0])) is None
    model = Sequential([Input(shape=(6, 6, 1)), Rescaling(1.0), Flatten(), Dense(2, activation="softmax")])
    x = np.full((2, 6, 6, 1), -0.99, "float32")
    assert fgsm(model, x, [0, 1], 0.1).min() >= -1.0  # inferred [-1, 1]
    assert fgsm(model, x, [0, 1], 0.1, value_range=(-0.95, 0.0)).min() >= -0.95
    assert fgsm(model, x, [0, 1], 0.1, value_range=None).min() < -1.0


def test_attack_arguments_are_checked():
    model = _small_net()
    x = np.zeros((2, 6, 6, 1), "float32")
    with pytest.raises(InvalidArgumentError, match="needs target="):
        fgsm(model, x, [0, 1], 0.1, targeted=True)
    with pytest.raises(InvalidArgumentError, match="epsilon must be >= 0"):
        pgd(model, x, [0, 1], -0.1)
    with pytest.raises(ShapeError, match="3 labels for 2 inputs"):
        fgsm(model, x, [0, 1, 2], 0.1)
    with pytest.raises(InvalidArgumentError, match="needs the true labels"):
        fgsm(model, x, None, 0.1)


def test_accuracy_vs_epsilon_and_the_side_by_side_picture(tmp_path):
    model = Sequential([Input(shape=(2,)), Dense(2, activation="softmax")])
    model.set_weights([np.eye(2, dtype="float32"), np.zeros(2, "float32")])
    x = np.array([[0.8, 0.2], [0.55, 0.45], [0.3, 0.7]], "float32")
    y = np.array([0, 0, 1])
    curve = accuracy_vs_epsilon(model, x, y, [0.0, 0.06, 0.25, 0.4])
    assert curve.accuracies == pytest.approx([1.0, 2 / 3, 1 / 3, 0.0])  # margins 0.6, 0.1, 0.4 shrink by 2 eps
    curve.plot(tmp_path / "curve.png")
    assert (tmp_path / "curve.png").stat().st_size > 0
    images = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(3, activation="softmax")])
    pictures = np.random.rand(2, 4, 4, 1).astype("float32")
    plot_adversarial_examples(images, pictures, fgsm(images, pictures, [0, 1], 0.1), tmp_path / "side.png",
                              class_names=["a", "b", "c"], n=2)
    assert (tmp_path / "side.png").stat().st_size > 0


def test_adversarial_training_step_is_the_weighted_clean_and_attacked_loss():
    torch.manual_seed(0)
    net = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    x, y = np.random.rand(8, 3).astype("float32"), np.arange(8) % 2
    attacked = fgsm(net, x, y, 0.2)
    xt, at, yt = torch.as_tensor(x), torch.as_tensor(attacked), torch.as_tensor(y)
    adversarial_loss = F.nll_loss(torch.log(net(at)), yt).item()
    expected = 0.3 * F.nll_loss(torch.log(net(xt)), yt).item() + 0.7 * adversarial_loss
    robust = AdversarialTraining(net, epsilon=0.2, adversarial_weight=0.7)
    robust.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = net.get_weights()
    logs = robust.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["adversarial_loss"] == pytest.approx(adversarial_loss, rel=1e-5)
    assert not np.allclose(before[0], net.get_weights()[0])  # the wrapped model is what trains
    with pytest.raises(InvalidArgumentError, match="adversarial_weight must be in"):
        AdversarialTraining(net, epsilon=0.1, adversarial_weight=1.5)


# ---------------------------------------------------------------------------------------------- real data
def _mnist(data_dir, n_train: int, n_test: int):
    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir=data_dir, download=False)
    scale = lambda a: a[..., None].astype("float32") / 255.0  # noqa: E731
    return (scale(x_train[:n_train]), y_train[:n_train]), (scale(x_test[:n_test]), y_test[:n_test])


def mnist_convnet() -> Sequential:
    return Sequential([Input(shape=(28, 28, 1)), Conv2D(16, 3, activation="relu"), MaxPooling2D(),
                       Conv2D(32, 3, activation="relu"), MaxPooling2D(), Flatten(), Dense(10, activation="softmax")])


def _accuracy(model, x, y) -> float:
    return float((predict_classes(model, x)[0] == y).mean())


@pytest.mark.slow
def test_mnist_convnet_fgsm_pgd_and_adversarial_training(data_dir):
    (x_train, y_train), (x_test, y_test) = _mnist(data_dir, 6000, 500)
    start = time.perf_counter()
    results = {}
    for name in ("plain", "adversarial"):
        torch.manual_seed(0)
        model = mnist_convnet()
        trainer = AdversarialTraining(model, epsilon=0.1) if name == "adversarial" else model
        trainer.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        trainer.fit(x_train, y_train, epochs=2, batch_size=64, verbose=0)
        results[name] = {"clean": _accuracy(model, x_test, y_test),
                         "fgsm": _accuracy(model, fgsm(model, x_test, y_test, 0.1), y_test),
                         "pgd": _accuracy(model, pgd(model, x_test, y_test, 0.1, alpha=0.025, steps=10, seed=0),
                                          y_test)}
    print(f"\nMNIST convnet, eps=0.1: {results} ({time.perf_counter() - start:.0f} s)")
    plain, robust = results["plain"], results["adversarial"]
    assert plain["clean"] > 0.9
    assert plain["fgsm"] < plain["clean"] - 0.2  # far below clean accuracy
    assert plain["pgd"] <= plain["fgsm"]  # PGD is at least as strong
    assert robust["clean"] > 0.9
    for attack in ("fgsm", "pgd"):  # adversarial training wins back a large part of what the attack took
        assert robust[attack] - plain[attack] > 0.3 * (plain["clean"] - plain[attack]), attack


@pytest.mark.slow
def test_imperceptible_targeted_attack_changes_the_person_mobilenet_sees(data_dir):
    from glassnet.applications import MobileNet
    from glassnet.datasets import lfw
    weights = require_data("weights", "mobilenet_2_5_224_tf_no_top.h5")
    (x_train, y_train), (x_test, y_test) = lfw.load_data(min_faces_per_person=70, resize=1.0, color=True,
                                                         data_dir=data_dir, download=False)
    x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0  # pixels in [0, 1]
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", weights=str(weights),
                     input_shape=x_train.shape[1:])
    features = Sequential([Input(shape=x_train.shape[1:]), Rescaling(2.0, offset=-1.0), base])  # [-1, 1] inside
    head = Sequential([Input(shape=(256,)), Dense(7, activation="softmax")])
    head.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    head.fit(features.predict(x_train, batch_size=128, verbose=0), y_train, epochs=60, batch_size=64, verbose=0)
    model = Sequential([Input(shape=x_train.shape[1:]), features, head])
    predicted = predict_classes(model, x_test)[0]
    assert (predicted == y_test).mean() > 0.6  # the linear head on pretrained features knows the people
    faces, people = x_test[predicted == y_test][:24], y_test[predicted == y_test][:24]
    targets = (people + 1) % 7  # push every face towards another person
    adversarial = pgd(model, faces, None, epsilon=2 / 255, alpha=0.5 / 255, steps=10, targeted=True,
                      target=targets, seed=0)
    assert np.abs(adversarial - faces).max() <= 2 / 255 + 1e-6  # at most two grey levels of 255 per pixel
    fooled = predict_classes(model, adversarial)[0]
    print(f"\nLFW: {np.mean(fooled != people):.0%} of {len(faces)} faces now seen as another person, "
          f"{np.mean(fooled == targets):.0%} as the chosen one")
    assert np.mean(fooled != people) > 0.5 and np.mean(fooled == targets) > 0.5
