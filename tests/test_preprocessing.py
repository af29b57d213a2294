"""Preprocessing / augmentation layers: identities, shapes and dtypes, eval mode, seeds, inside a model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet.datasets import from_arrays
from glassnet.layers import (CenterCrop, MixUp, Normalization, RandomBrightness, RandomContrast, RandomCrop,
                             RandomCutout, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, Rescaling,
                             Resizing)

RANDOM = [lambda s: RandomFlip(seed=s), lambda s: RandomCrop(24, 20, seed=s), lambda s: RandomRotation(0.1, seed=s),
          lambda s: RandomZoom(0.2, seed=s), lambda s: RandomTranslation(0.1, 0.2, seed=s),
          lambda s: RandomContrast(0.3, seed=s), lambda s: RandomBrightness(0.2, seed=s),
          lambda s: RandomCutout(0.3, 0.3, seed=s)]


@pytest.fixture
def images():
    return torch.randint(0, 256, (6, 3, 32, 32)).float()


def test_flip_twice_is_identity(images):
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        once = RandomFlip(mode, seed=5)(images)
        assert torch.equal(RandomFlip(mode, seed=5)(once), images)
        for i in range(len(images)):  # every sample is itself or a mirror image
            options = [images[i], images[i].flip(-1), images[i].flip(-2), images[i].flip(-1).flip(-2)]
            assert any(torch.equal(once[i], o) for o in options)


@pytest.mark.parametrize("make", RANDOM)
def test_shapes_dtypes_eval_identity_and_seed(make, images):
    layer = make(1)
    out = layer(images)
    expected = (6, 3, 24, 20) if isinstance(layer, RandomCrop) else tuple(images.shape)
    assert tuple(out.shape) == expected and out.dtype == torch.float32
    assert torch.equal(make(1)(images), out)  # same seed, same batch
    assert not torch.equal(make(2)(images), out) or isinstance(layer, RandomFlip)
    layer.eval()
    inference = layer(images)
    if isinstance(layer, RandomCrop):
        assert torch.equal(inference, CenterCrop(24, 20)(images))
    else:
        assert torch.equal(inference, images)


def test_uint8_input_becomes_float():
    x = torch.randint(0, 256, (2, 1, 8, 8), dtype=torch.uint8)
    assert RandomFlip(seed=0)(x).dtype == torch.float32
    assert Rescaling(1 / 255)(x).max() <= 1.0


def test_rotation_direction_and_translation_values():
    img = torch.arange(16.0).view(1, 1, 4, 4)
    quarter = RandomRotation((0.25, 0.25), seed=0)(img)
    assert torch.allclose(quarter, torch.rot90(img, 1, dims=(-2, -1)), atol=1e-4)  # counter-clockwise
    shifted = RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant", seed=0)(img)
    assert torch.allclose(shifted[..., 1:], img[..., :-1], atol=1e-4) and shifted[..., 0].abs().sum() == 0


def test_deterministic_layers():
    x = torch.arange(16.0).view(1, 1, 4, 4)
    assert CenterCrop(2, 2)(x).flatten().tolist() == [5.0, 6.0, 9.0, 10.0]
    assert Resizing(8, 8)(x).shape == (1, 1, 8, 8)
    assert Rescaling(2.0, offset=1.0)(x)[0, 0, 0, 1].item() == 3.0
    norm = Normalization()
    data = np.random.default_rng(0).normal(5, 3, (1000, 4, 4, 2))
    norm.adapt(data)
    out = norm(torch.as_tensor(data).float().movedim(-1, 1))
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(2), atol=1e-4)
    assert torch.allclose(out.std(dim=(0, 2, 3)), torch.ones(2), atol=1e-2)


def test_mixup_labels_and_eval():
    x, y = torch.rand(8, 3, 4, 4), torch.arange(8) % 4
    xm, ym = MixUp(0.4, num_classes=4, seed=0)(x, y)
    assert ym.shape == (8, 4) and torch.allclose(ym.sum(1), torch.ones(8))
    layer = MixUp(0.4, num_classes=4, seed=0).eval()
    xe, ye = layer(x, y)
    assert torch.equal(xe, x) and torch.equal(ye.argmax(1), y)


def test_pipeline_augment_keeps_user_layout_and_is_seeded():
    x = np.random.default_rng(0).integers(0, 256, (20, 16, 16, 3), dtype=np.uint8)
    make = lambda: from_arrays(x, np.arange(20) % 2, batch_size=8, seed=0).augment(  # noqa: E731
        RandomFlip(seed=1), RandomCrop(12, 12, seed=2), MixUp(0.2, num_classes=2, seed=3))
    first = [(a.clone(), b.clone()) for a, b in make()]
    assert first[0][0].shape == (8, 12, 12, 3) and first[0][0].dtype == torch.float32
    assert first[0][1].shape == (8, 2)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(first, make()))


def test_augmentation_inside_a_model_is_identity_in_evaluate_predict():
    from glassnet import models
    from glassnet.layers import Dense, Flatten, Input

    model = models.Sequential([Input((8, 8, 3)), RandomFlip(seed=0), RandomRotation(0.2, seed=0), Flatten(),
                               Dense(2)])
    x = np.random.default_rng(0).random((4, 8, 8, 3)).astype("float32")
    model.eval()
    a = model(torch.as_tensor(x))
    clean = models.Sequential([Input((8, 8, 3)), Flatten(), model.layers[-1]]).eval()
    assert torch.allclose(a, clean(torch.as_tensor(x)), atol=1e-6)
    assert np.allclose(model.predict(x, verbose=0), a.detach().numpy(), atol=1e-6)
