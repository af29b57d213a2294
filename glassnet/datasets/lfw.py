"""Labeled Faces in the Wild (deep-funneled): face photos, one folder per person.

Files: ``<GLASSNET_DATA>/lfw/<Person_Name>/<Person_Name>_NNNN.jpg`` (or the
extracted ``lfw/lfw-deepfunneled/`` folder). When absent, the official
``lfw-deepfunneled.tgz`` is downloaded, checked against its md5 and extracted.
Faces are cropped to the central region and resized as scikit-learn's
``fetch_lfw_people`` does (default 62x47 grayscale).

>>> (x_train, y_train), (x_test, y_test) = load_data(min_faces_per_person=70)  # doctest: +SKIP
>>> class_names(min_faces_per_person=70)[:2]  # doctest: +SKIP
['Ariel_Sharon', 'Colin_Powell']
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from glassnet.datasets import files
from glassnet.datasets.files import RemoteFile
from glassnet.datasets.split import split_indices
from glassnet.errors import DataFileError

ARCHIVE = RemoteFile("lfw-deepfunneled.tgz", ("http://vis-www.cs.umass.edu/lfw/",),
                     md5="68331da3eb755a505a502b5aacb3c201")
CROP = (78, 70, 172, 195)  # (left, top, right, bottom) of the 250x250 photo: scikit-learn's default slice_


def _people_root(data_dir, download: bool) -> Path:
    base = files.data_dir(data_dir) / "lfw"
    for root in (base / "lfw-deepfunneled", base):
        if root.is_dir() and any(p.is_dir() for p in root.iterdir()):
            return root
    archive = files.fetch("lfw", ARCHIVE, data_dir, download=download)
    with tempfile.TemporaryDirectory(dir=base) as tmp, tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
        shutil.move(str(Path(tmp) / "lfw-deepfunneled"), base / "lfw-deepfunneled")
    return base / "lfw-deepfunneled"


def _people(root: Path, min_faces_per_person: int) -> dict[str, list[Path]]:
    people = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(folder.glob("*.jpg"))
        if images and len(images) >= min_faces_per_person:
            people[folder.name] = images
    if not people:
        raise DataFileError(f"No person in {root} has at least {min_faces_per_person} images; lower "
                            "min_faces_per_person or check the folder.")
    return people


def class_names(min_faces_per_person: int = 0, data_dir: str | os.PathLike | None = None,
                download: bool = True) -> list[str]:
    """Names of the people kept by ``min_faces_per_person`` (label i is ``class_names(...)[i]``).

    >>> class_names(min_faces_per_person=200)  # doctest: +SKIP
    ['Colin_Powell', 'George_W_Bush']
    """
    return list(_people(_people_root(data_dir, download), min_faces_per_person))


def _decode(path: Path, size: tuple[int, int], color: bool) -> np.ndarray:
    try:
        with Image.open(path) as img:
            img = img.convert("RGB" if color else "L").crop(CROP)
            if img.size != size:
                img = img.resize(size, Image.Resampling.BILINEAR)
            return np.asarray(img, dtype=np.uint8)
    except (OSError, UnidentifiedImageError) as err:
        raise DataFileError(f"{path} cannot be decoded as an image ({err}); replace or delete it.") from err


def load_data(min_faces_per_person: int = 0, resize: float = 0.5, color: bool = False, test_split: float = 0.25,
              seed: int = 0, data_dir: str | os.PathLike | None = None, download: bool = True,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Faces of people with at least ``min_faces_per_person`` photos, split stratified by person.

    Images: uint8 (N, H, W) grayscale or (N, H, W, 3) with ``color=True``; the
    125x94 face crop is scaled by ``resize`` (0.5 -> 62x47). Labels: int64 index
    into :func:`class_names`.

    >>> (x_train, y_train), _ = load_data(min_faces_per_person=100, resize=0.4)  # doctest: +SKIP
    >>> x_train.shape[1:]  # doctest: +SKIP
    (50, 37)
    """
    people = _people(_people_root(data_dir, download), min_faces_per_person)
    paths = [p for images in people.values() for p in images]
    labels = np.concatenate([np.full(len(v), i, np.int64) for i, v in enumerate(people.values())])
    width, height = CROP[2] - CROP[0], CROP[3] - CROP[1]
    size = (max(1, int(width * resize)), max(1, int(height * resize)))
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        images = np.stack(list(pool.map(lambda p: _decode(p, size, color), paths)))
    train, _, test = split_indices(len(labels), labels, (1 - test_split, 0.0, test_split), seed=seed)
    return (images[train], labels[train]), (images[test], labels[test])


lfw_people = load_data
