"""Every label stays with its image through the datasets pipeline: shuffled in-memory arrays, image folders
(in memory and streamed, with a validation subset), and fit on a pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from glassnet.datasets import from_arrays, image_dataset_from_directory
from glassnet.layers import Dense, GlobalAveragePooling2D, Input
from glassnet.models import Sequential
from glassnet.optimizers import SGD


def _indexed(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Image i is filled with the value i and labelled i."""
    return np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 1), np.uint8), np.arange(n)


def _epoch(dataset) -> tuple[list[int], list[int]]:
    images, labels = [], []
    for x, y in dataset:
        images += x.reshape(len(x), -1)[:, 0].round().long().tolist()
        labels += y.reshape(-1).long().tolist()
    return images, labels


def test_shuffled_array_pipeline_keeps_labels_with_images():
    dataset = from_arrays(*_indexed(50), batch_size=8, shuffle=True, seed=0)
    first_images, first_labels = _epoch(dataset)
    second_images, second_labels = _epoch(dataset)
    assert first_images == first_labels and second_images == second_labels
    assert sorted(first_labels) == list(range(50)) and first_labels != list(range(50))
    assert first_labels != second_labels  # a new order every epoch
    mapped_images, mapped_labels = _epoch(dataset.map(lambda x, y: (x * 2, y)))
    assert mapped_images == [2 * label for label in mapped_labels]


def test_fit_on_a_shuffled_pipeline_sees_each_image_with_its_label():
    pairs = []

    def record(y_true, y_pred):
        pairs.append((y_true.reshape(-1).tolist(), y_pred.detach().reshape(-1).round().tolist()))
        return ((y_pred.reshape(-1) - y_true.reshape(-1).float()) ** 2).mean()

    torch.manual_seed(0)
    model = Sequential([Input((2, 2, 1)), GlobalAveragePooling2D(), Dense(1, kernel_initializer="ones",
                                                                          bias_initializer="zeros")])
    model.compile(optimizer=SGD(learning_rate=0.0), loss=record)
    model.fit(from_arrays(*_indexed(30), batch_size=7, shuffle=True, seed=1, label_mode=None), epochs=2, verbose=0)
    labels = [v for t, _ in pairs for v in t]
    assert [v for _, p in pairs for v in p] == labels
    assert sorted(labels) == sorted(list(range(30)) * 2)


@pytest.fixture
def shaded_folder(tmp_path):
    """Five class folders; every image of class c is a flat grey of level 40 * c (PNG: exact)."""
    root = tmp_path / "shades"
    for c in range(5):
        (root / f"class{c}").mkdir(parents=True)
        for i in range(7):
            Image.fromarray(np.full((6 + i, 5, 3), 40 * c, np.uint8)).save(root / f"class{c}" / f"{i}.png")
    return root


def _levels(dataset) -> tuple[list[int], list[int]]:
    images, labels = _epoch(dataset)
    return [round(v / 40) for v in images], labels


@pytest.mark.parametrize("in_memory", [True, False])
def test_image_folder_shuffles_images_and_labels_together(shaded_folder, in_memory):
    dataset = image_dataset_from_directory(shaded_folder, image_size=(4, 4), batch_size=6, shuffle=True, seed=3,
                                           in_memory=in_memory, num_workers=0)
    classes, labels = _levels(dataset)
    assert classes == labels and sorted(labels) == sorted(list(range(5)) * 7)
    assert labels != sorted(labels)  # shuffled


def test_image_folder_validation_subsets_keep_pairs_and_do_not_overlap(shaded_folder):
    common = dict(image_size=(4, 4), batch_size=4, seed=5, validation_split=0.4, num_workers=0)
    train = image_dataset_from_directory(shaded_folder, subset="training", **common)
    val = image_dataset_from_directory(shaded_folder, subset="validation", **common)
    (train_classes, train_labels), (val_classes, val_labels) = _levels(train), _levels(val)
    assert train_classes == train_labels and val_classes == val_labels
    assert len(train_labels) + len(val_labels) == 35 and len(val_labels) == 14
    assert sorted(train_labels + val_labels) == sorted(list(range(5)) * 7)
