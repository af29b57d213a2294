"""Where does a face classifier look? Grad-CAM on whole LFW photos, with a head that knows background.

LFW centred every face with the Viola-Jones detector: in each 250x250 photo the face fills the box
:data:`FACE_BOX` = (68, 68)-(182, 182) (top, left, bottom, right). A frozen ImageNet MobileNet with a
plain linear head names 7 people from the whole photos 80-88% of the time, yet its Grad-CAM keeps only
~0.25 of its mass in that box (the box's area share, what a map blind to the face would put there, is
0.21): the class evidence of frozen features lies everywhere, background and suit included.

:func:`face_head` trains the linear head on what LFW gives: the face crops and the whole photos are
labelled with the person, and the photo *outside* the face box (the mean feature of the feature-map cells
whose centre lies outside it) is one more class, "background". The returned model keeps only the people:
its logit for person c is log p(c) / p(background) of that head, so its softmax is the distribution over
people and Grad-CAM of its class score shows the evidence for "this person's face rather than background".
On 162 held-out photos that map puts 0.63 of its mass in the face box (3x the null; accuracy 77%) and
follows the face when the photo is cut off-centre (tests/test_explain_localisation.py, the README's explain
section). Read it as "where the face is": the map for a wrong person is nearly the same (0.67 in the box,
correlation 0.96), since the background logit dominates the contrast; what tells the people apart is not it.

>>> x, y, names = lfw_photos(min_faces_per_person=70)  # doctest: +SKIP
>>> model = face_head(face_base(), x[:900], y[:900])  # doctest: +SKIP
>>> cams = explain.grad_cam(model, x[900:], target=y[900:])  # doctest: +SKIP
>>> explain.mass_inside(cams, FACE_BOX).mean()  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image

from glassnet import layout
from glassnet.applications import MobileNet
from glassnet.datasets import files, lfw
from glassnet.errors import InvalidArgumentError
from glassnet.layers import Dense, Input
from glassnet.models import Sequential
from glassnet.modes import evaluating

PHOTO_SIDE = 250
FACE_BOX = (68, 68, 182, 182)  # LFW's Viola-Jones box in the 250x250 photos: (top, left, bottom, right)
WEIGHTS = "mobilenet_2_5_224_tf_no_top.h5"


def lfw_photos(min_faces_per_person: int = 70, max_per_person: int | None = None,
               data_dir: str | os.PathLike | None = None, download: bool = False,
               ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Whole LFW photos (face and background), 250x250 RGB scaled to [-1, 1] (MobileNet's ``mode='tf'``),
    the person index of each, and the people's names (``glassnet.datasets.lfw`` gives the face crops).
    ``max_per_person`` keeps each person's first photos only (George W. Bush alone has 530).

    >>> x, y, names = lfw_photos(min_faces_per_person=70)  # doctest: +SKIP
    >>> x.shape, len(names)  # doctest: +SKIP
    ((1288, 250, 250, 3), 7)
    """
    people = lfw._people(lfw._people_root(data_dir, download), min_faces_per_person)
    paths = [(label, path) for label, found in enumerate(people.values()) for path in found[:max_per_person]]
    images = np.empty((len(paths), PHOTO_SIDE, PHOTO_SIDE, 3), np.float32)
    for i, (_, path) in enumerate(paths):
        with Image.open(path) as img:
            images[i] = np.asarray(img.convert("RGB").resize((PHOTO_SIDE, PHOTO_SIDE)), dtype=np.float32)
    images /= 127.5  # preprocess_input(mode='tf') in place: a whole float copy of 1288 photos is 1 GB
    images -= 1.0
    return images, np.array([label for label, _ in paths]), list(people)


def face_base(data_dir: str | os.PathLike | None = None) -> torch.nn.Module:
    """The frozen feature extractor: the ImageNet MobileNet (alpha 0.25) without its top, average-pooled,
    from ``<GLASSNET_DATA>/weights``.

    >>> face_base().name  # doctest: +SKIP
    'mobilenet_0.25_224'
    """
    weights = files.data_dir(data_dir) / "weights" / WEIGHTS
    return MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(PHOTO_SIDE, PHOTO_SIDE, 3),
                     weights=str(weights))


def outside_cells(map_shape: Sequence[int], image_shape: Sequence[int], box: Sequence[int]) -> np.ndarray:
    """The (h, w) mask of the feature-map cells whose centre lies outside ``box`` (image pixels).

    >>> outside_cells((4, 4), (8, 8), (2, 2, 6, 6)).astype(int).tolist()
    [[1, 1, 1, 1], [1, 0, 0, 1], [1, 0, 0, 1], [1, 1, 1, 1]]
    """
    (h, w), (height, width) = map_shape, image_shape
    rows = (np.arange(h) + 0.5) * height / h
    cols = (np.arange(w) + 0.5) * width / w
    top, left, bottom, right = box
    inside = ((rows >= top) & (rows < bottom))[:, None] & ((cols >= left) & (cols < right))[None, :]
    return ~inside


def _features(base: torch.nn.Module, images: np.ndarray, box: Sequence[int] | None = None,
              batch_size: int = 64) -> tuple[np.ndarray, np.ndarray | None]:
    """Average-pooled features of the images, and (given a box) of the cells outside it."""
    pooled, outside = [], []
    with torch.no_grad(), evaluating(base):
        for start in range(0, len(images), batch_size):
            x = torch.as_tensor(images[start:start + batch_size], dtype=torch.float32)
            with layout.internal_layout():
                maps = base.forward_features(layout.to_internal(x, base.data_format))
            pooled.append(maps.mean((2, 3)).numpy())
            if box is not None:
                mask = torch.as_tensor(outside_cells(maps.shape[2:], images.shape[1:3], box))
                outside.append(maps[:, :, mask].mean(2).numpy())
    return np.concatenate(pooled), (np.concatenate(outside) if box is not None else None)


def face_head(base: torch.nn.Module, photos: np.ndarray, labels: Any, box: Sequence[int] = FACE_BOX,
              C: float = 1.0) -> Sequential:
    """A linear head on the frozen ``base`` that learned what is face and what is background.

    A multinomial logistic regression (scikit-learn) sees the face crops ``photos[:, top:bottom, left:right]``
    and the whole photos labelled with their person, and the mean feature outside ``box`` labelled
    "background" (one more class). The returned ``Sequential([Input, base, Dense(people, softmax)])``
    keeps the people only: kernel ``w_c - w_background``, so each logit is the log-odds of that person
    against background, and Grad-CAM of it is the evidence for "this person's face, not background".

    >>> model = face_head(face_base(), x_train, y_train)  # doctest: +SKIP
    >>> model.predict(x_test).argmax(1)  # doctest: +SKIP
    """
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits
    top, left, bottom, right = box
    if not (0 <= top < bottom <= photos.shape[1] and 0 <= left < right <= photos.shape[2]):
        raise InvalidArgumentError(f"face_head: box {tuple(box)} (top, left, bottom, right) does not lie inside "
                                   f"the {photos.shape[1]}x{photos.shape[2]} photos; give pixel bounds inside them.")
    labels = np.asarray(labels)
    people = int(labels.max()) + 1
    whole, outside = _features(base, photos, box)
    faces, _ = _features(base, photos[:, top:bottom, left:right])
    x = np.concatenate([faces, whole, outside])
    y = np.concatenate([labels, labels, np.full(len(labels), people)])
    mean, scale = x.mean(0), x.std(0) + 1e-6  # standardised features: lbfgs converges in ~100 steps, not ~1000
    with threadpool_limits(1):  # a small fit: one BLAS thread (numpy's and scipy's OpenBLAS copies fight on 2 cores)
        regression = LogisticRegression(max_iter=2000, C=C).fit((x - mean) / scale, y)
    weights = regression.coef_ / scale  # the standardisation folded into the head
    bias = regression.intercept_ - weights @ mean
    head = Dense(people, activation="softmax", name="face_vs_background")
    model = Sequential([Input(shape=photos.shape[1:]), base, head])
    head.set_weights([(weights[:people] - weights[people]).T.astype(np.float32),
                      (bias[:people] - bias[people]).astype(np.float32)])
    return model


def plot_face_maps(photos: np.ndarray, rows: dict[str, np.ndarray], box: Sequence[int] = FACE_BOX,
                   path: str | os.PathLike = "face_maps.png") -> str:
    """Save the photos in a top row and each named row of maps (N, H, W) laid over them below, with the
    face box drawn and each map's mass inside it in the title; returns the path.

    >>> import tempfile
    >>> maps = np.random.default_rng(0).random((2, 8, 8))
    >>> plot_face_maps(np.zeros((2, 8, 8, 3)), {'random': maps}, (2, 2, 6, 6),
    ...                os.path.join(tempfile.mkdtemp(), 'faces.png')).endswith('faces.png')
    True
    """
    from glassnet.explain.figures import new_figure, save_figure
    from glassnet.explain.localisation import mass_inside
    from glassnet.explain.overlay import display_images
    from matplotlib.patches import Rectangle
    shown = display_images(photos)
    fig, axes = new_figure(1 + len(rows), len(shown), (1.8 * len(shown), 1.9 * (1 + len(rows))))
    top, left, bottom, right = box
    for col, image in enumerate(shown):
        axes[0, col].imshow(image)
        for row, (name, maps) in enumerate(rows.items(), start=1):
            ax = axes[row, col]
            ax.imshow(image)
            ax.imshow(maps[col] / max(float(maps[col].max()), 1e-12), cmap="jet", alpha=0.5, vmin=0, vmax=1)
            ax.set_title(f"{mass_inside(maps[col:col + 1], box)[0]:.2f} in box", fontsize=8)
            if col == 0:
                ax.set_ylabel(name, fontsize=8)
        for ax in axes[:, col]:
            ax.add_patch(Rectangle((left, top), right - left, bottom - top, fill=False, edgecolor="white", lw=1))
            ax.set_xticks([])
            ax.set_yticks([])
    save_figure(fig, path)
    return str(path)


__all__ = ["FACE_BOX", "PHOTO_SIDE", "lfw_photos", "face_base", "face_head", "outside_cells", "plot_face_maps"]
