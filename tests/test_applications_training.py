"""Application models train with compile/fit like any glassnet model."""

import numpy as np
import torch

from glassnet import logits

from glassnet.applications import GoogLeNet, ResNet20


def test_cifar_resnet_fits_and_fuses_its_softmax_into_the_loss():
    model = ResNet20(input_shape=(32, 32, 3), classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 32, 32, 3).astype("float32"), rng.randint(0, 10, 16)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    with torch.no_grad():
        model.eval()
        outputs = model(torch.from_numpy(x))
    raw = logits.of(outputs, "softmax")
    assert raw is not None  # the loss gets a stable log-softmax, not the log of probabilities
    expected = torch.nn.functional.cross_entropy(raw, torch.from_numpy(y))
    assert abs(model.evaluate(x, y, verbose=0)[0] - expected.item()) < 1e-5
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_models_with_auxiliary_classifiers_train_on_all_heads():
    model = GoogLeNet(classes=3, input_shape=(64, 64, 3), aux_logits=True, weights=None)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    rng = np.random.RandomState(0)
    history = model.fit(rng.rand(4, 64, 64, 3).astype("float32"), rng.randint(0, 3, 4), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
