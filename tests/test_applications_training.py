"""Application models train with compile/fit like any glassnet model."""

import numpy as np

from glassnet.applications import GoogLeNet, ResNet20


def test_cifar_resnet_fits_and_fuses_its_softmax_into_the_loss():
    model = ResNet20(input_shape=(32, 32, 3), classes=10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.RandomState(0)
    x, y = rng.rand(16, 32, 32, 3).astype("float32"), rng.randint(0, 10, 16)
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.compiled.fused[0] is not None  # stable log-softmax, not log of probabilities
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_models_with_auxiliary_classifiers_keep_probabilities():
    assert GoogLeNet(classes=5).output_layers() == []
