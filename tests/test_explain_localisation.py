"""Grad-CAM points at the evidence: a small convnet learns classes that only a small patch at a random
position decides (an X, a ring, or neither), among squares and bars that every class has; its Grad-CAM
maximum must fall inside the patch."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.explain import grad_cam, saliency
from glassnet.layers import Conv2D, Dense, GlobalAveragePooling2D, Input, MaxPooling2D
from glassnet.models import Sequential
from glassnet.optimizers import Adam

SIDE, PATCH = 24, 5
X_SHAPE = np.maximum(np.eye(PATCH), np.eye(PATCH)[::-1]).astype(np.float32)
RING = np.ones((PATCH, PATCH), np.float32)
RING[1:-1, 1:-1] = 0


def patch_images(n: int, seed: int):
    """(images (n, 24, 24, 1), labels: 0 = X, 1 = ring, 2 = no patch, patch corners (row, col))."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.1, (n, SIDE, SIDE, 1)).astype(np.float32)
    y = rng.integers(0, 3, n)
    corners = np.zeros((n, 2), int)
    for i in range(n):
        for _ in range(rng.integers(1, 6)):  # distractors, any number, in every class
            r, c = rng.integers(0, SIDE - 4, 2)
            kind = rng.integers(0, 3)
            if kind == 0:
                x[i, r:r + 3, c:c + 3, 0] += 1.0
            elif kind == 1:
                x[i, r, c:c + 4, 0] += 1.0
            else:
                x[i, r:r + 4, c, 0] += 1.0
        corners[i] = rng.integers(0, SIDE - PATCH + 1, 2)
        if y[i] < 2:
            r, c = corners[i]
            x[i, r:r + PATCH, c:c + PATCH, 0] = (X_SHAPE if y[i] == 0 else RING) + rng.normal(0, 0.1, (PATCH, PATCH))
    return x, y, corners


def _peak_inside(maps: np.ndarray, corners: np.ndarray) -> np.ndarray:
    peak = maps.reshape(len(maps), -1).argmax(1)
    rows, cols = peak // SIDE, peak % SIDE
    return ((rows >= corners[:, 0]) & (rows < corners[:, 0] + PATCH) &
            (cols >= corners[:, 1]) & (cols < corners[:, 1] + PATCH))


@pytest.mark.slow
def test_grad_cam_maximum_falls_inside_the_deciding_patch():
    x_train, y_train, _ = patch_images(2000, seed=0)
    x_test, y_test, corners = patch_images(300, seed=1)
    net = Sequential([Input(shape=(SIDE, SIDE, 1)), Conv2D(16, 3, padding="same", activation="relu"),
                      Conv2D(16, 3, padding="same", activation="relu"), MaxPooling2D(2),
                      Conv2D(32, 3, padding="same", activation="relu"), GlobalAveragePooling2D(),
                      Dense(3, activation="softmax")])
    net.compile(optimizer=Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(x_train, y_train, epochs=6, batch_size=64, verbose=0)
    assert net.evaluate(x_test, y_test, verbose=0)[1] >= 0.85
    with_patch = y_test < 2
    cam = grad_cam(net, x_test[with_patch], target=y_test[with_patch])  # where is the evidence for the class?
    inside = _peak_inside(cam, corners[with_patch])
    print(f"Grad-CAM peak inside the patch: {inside.mean():.1%} of {with_patch.sum()} images")
    assert inside.mean() >= 0.90
    predicted = grad_cam(net, x_test[with_patch])  # the default target: the predicted class
    assert _peak_inside(predicted, corners[with_patch]).mean() >= 0.80
    sal = saliency(net, x_test[with_patch], target=y_test[with_patch])
    chance = PATCH * PATCH / SIDE ** 2  # 4% of the pixels are in the patch
    assert _peak_inside(sal, corners[with_patch]).mean() >= 5 * chance  # pixel gradients: noisier, far above chance
