"""Grad-CAM points at the evidence: a small convnet learns classes that only a small patch at a random
position decides (an X, a ring, or neither), among squares and bars that every class has; its Grad-CAM
maximum must fall inside the patch.

And on real photos: LFW faces through the pretrained MobileNet (alpha 0.25) with a linear head. LFW centred
every face with the Viola-Jones detector; in the 250x250 photo the face fills the central box
(68, 68)-(182, 182) (the detector's box, the photo being that box enlarged 2.2 times). How much of the
Grad-CAM mass lies in that box, against the box's area share (what a map blind to the face puts there)?"""

from __future__ import annotations

import numpy as np
import pytest

from PIL import Image

from glassnet.applications import MobileNet, preprocess_input
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.explain import area_share, grad_cam, mass_inside, saliency
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


def test_mass_inside_is_the_share_of_positive_mass_in_the_box():
    maps = np.random.default_rng(0).normal(size=(5, 12, 10))
    positive = np.clip(maps, 0, None)
    expected = positive[:, 3:9, 2:7].sum((1, 2)) / positive.sum((1, 2))
    np.testing.assert_allclose(mass_inside(maps, (3, 2, 9, 7)), expected)
    assert area_share((12, 10), (3, 2, 9, 7)) == 30 / 120
    assert np.isnan(mass_inside(-np.ones((1, 4, 4)), (0, 0, 2, 2))[0])  # nothing positive: no answer
    with pytest.raises(InvalidArgumentError, match=r"does not lie inside maps of 12x10"):
        mass_inside(maps, (3, 2, 13, 7))
    with pytest.raises(ShapeError, match=r"\(N, H, W\)"):
        mass_inside(maps[0], (0, 0, 1, 1))


LFW_SIDE, FACE_SIDE = 250, 160
LFW_FACE_BOX = (68, 68, 182, 182)  # the Viola-Jones box in LFW's 250x250 photos: (top, left, bottom, right)


def _lfw_photos(data_dir, min_images: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """The 7 people with >= 70 photos, whole photos (face and background) resized to 160x160."""
    people = sorted(p for p in (data_dir / "lfw").iterdir() if len(list(p.glob("*.jpg"))) >= min_images)
    images, labels = [], []
    for label, person in enumerate(people):
        for file in sorted(person.glob("*.jpg")):
            with Image.open(file) as img:
                images.append(np.asarray(img.convert("RGB").resize((FACE_SIDE, FACE_SIDE), Image.BILINEAR)))
            labels.append(label)
    return preprocess_input(np.stack(images).astype(np.float32), mode="tf"), np.array(labels)


@pytest.mark.slow
def test_grad_cam_of_frozen_imagenet_features_is_not_on_lfw_faces(data_dir):
    """A measured finding, kept as a test: the head is accurate, yet its map is not on the face.

    Frozen ImageNet features + a linear head: 80% on 7 people, but the Grad-CAM mass in the face box is
    0.25 against the box's 0.20 area share at the last block (5x5), 0.28 at ``layer='blocks.10'`` (10x10);
    the maps sit on the background and the suit. A head trained on photos whose background was swapped with other
    photos' (so the background cannot tell who it is) stays at ~0.2: the frozen features themselves
    respond everywhere. Fine-tuning the last two blocks on originals + swapped photos (86% accuracy) gave
    0.46-0.48 at ``layer='blocks.10'`` and 0.33 at the last block: over twice the null, not "mostly" (> 0.5).
    Larger inputs alone (352-448 px: 11x11-14x14 maps) reach 0.30-0.33. What works is a head that was taught
    what background is: see ``test_grad_cam_of_a_face_trained_head_is_on_lfw_faces``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    x, y = _lfw_photos(data_dir)
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=x.shape[1:],
                     weights=str(data_dir / "weights" / "mobilenet_2_5_224_tf_no_top.h5"))
    head = Dense(7, activation="softmax")
    model = Sequential([Input(shape=x.shape[1:]), base, head])
    features = base.predict(x, batch_size=128, verbose=0)
    classifier = LogisticRegression(max_iter=3000).fit(features[train], y[train])
    head.set_weights([classifier.coef_.T.astype(np.float32), classifier.intercept_.astype(np.float32)])
    accuracy = float((model.predict(x[test], verbose=0).argmax(1) == y[test]).mean())
    assert accuracy >= 0.70  # 7 people; always answering the most frequent one gives 41%
    cams = grad_cam(model, x[test], target=y[test])
    box = tuple(round(v * FACE_SIDE / LFW_SIDE) for v in LFW_FACE_BOX)
    inside, null = float(np.nanmean(mass_inside(cams, box))), area_share(cams.shape[1:], box)
    print(f"accuracy {accuracy:.1%}; Grad-CAM mass in the face box {inside:.2f} (area share {null:.2f})")
    assert 0.15 < null < 0.25
    assert inside < 0.5  # not mostly on the face: the "mostly inside" does not hold for this model


@pytest.mark.slow
def test_grad_cam_of_a_face_trained_head_is_on_lfw_faces(data_dir):
    """The same frozen MobileNet, with a linear head that learned what is face and what is background
    (``glassnet.examples.faces.face_head``: face crops and whole photos labelled with the person, the photo
    outside the face box labelled "background"; its logits are each person's log-odds against background).
    On held-out whole photos its Grad-CAM puts most of its mass in LFW's face box, and when the photo is
    cut so that the face moves, the map moves with it: it is on the face, not on the photo's centre. It is
    the evidence for "a face, not background": the map for a wrong person is as much on the face (0.67;
    correlation 0.96 with the true person's map), so what tells the people apart is not what it shows."""
    from sklearn.model_selection import train_test_split
    from glassnet.examples.faces import FACE_BOX, face_base, face_head, lfw_photos
    x, y, names = lfw_photos(max_per_person=100, data_dir=data_dir)  # 648 photos of the 7 people
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    model = face_head(face_base(data_dir), x[train], y[train])
    accuracy = float((model.predict(x[test], verbose=0).argmax(1) == y[test]).mean())
    assert accuracy >= 0.70  # measured 77% on these 162 photos (the largest class is 15%)
    cams = grad_cam(model, x[test], target=y[test])
    inside, null = float(np.nanmean(mass_inside(cams, FACE_BOX))), area_share(cams.shape[1:], FACE_BOX)
    print(f"accuracy {accuracy:.1%}; Grad-CAM mass in the face box {inside:.2f} (area share {null:.2f})")
    assert inside > 0.5 and inside > 2 * null  # measured 0.63 against 0.21
    window = x[test][:, 50:, :200]  # a 200x200 cut: the face sits 25 px above and right of the cut's centre
    moved = grad_cam(model, window, target=y[test])
    on_face = float(np.nanmean(mass_inside(moved, (68 - 50, 68, 182 - 50, 182))))
    on_centre = float(np.nanmean(mass_inside(moved, (43, 43, 157, 157))))  # the same box at the cut's centre
    print(f"shifted face: mass on the face {on_face:.2f}, on the centre {on_centre:.2f}")
    assert on_face > on_centre + 0.05  # measured 0.72 against 0.58 (the two boxes overlap by half)
    wrong = grad_cam(model, x[test], target=(y[test] + 1) % len(names))  # the evidence for someone else
    print(f"mass in the box for a wrong person: {np.nanmean(mass_inside(wrong, FACE_BOX)):.2f}")
    assert np.nanmean(mass_inside(wrong, FACE_BOX)) > 0.5  # 0.67: the map says where a face is, not whose


def test_face_head_refuses_a_box_outside_the_photos():
    import torch
    from glassnet.examples.faces import face_head
    with pytest.raises(InvalidArgumentError, match=r"box \(68, 68, 182, 182\).*does not lie inside the 50x50 photos"):
        face_head(torch.nn.Identity(), np.zeros((2, 50, 50, 3), np.float32), [0, 1])
