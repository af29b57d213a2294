"""digits (scikit-learn, offline) and LFW from its folder tree."""

from __future__ import annotations

import numpy as np

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
except ImportError:
    from conftest import require_data
from glassnet.datasets import digits, lfw


def test_digits_offline_stratified():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.dtype == np.uint8 and x_train.shape[1:] == (8, 8) and x_train.max() == 255
    assert len(x_train) + len(x_test) == 1797
    assert abs(len(x_test) / 1797 - 0.2) < 0.01
    assert np.all(np.bincount(y_test) >= 35)
    (x2, _), _ = digits.load_data()
    assert np.array_equal(x_train, x2)


def test_lfw_by_folder_with_min_faces():
    root = require_data("lfw").parent
    names = lfw.class_names(min_faces_per_person=140, data_dir=root, download=False)
    assert names == ["Colin_Powell", "George_W_Bush", "Tony_Blair"]
    (x_train, y_train), (x_test, y_test) = lfw.load_data(min_faces_per_person=140, data_dir=root, download=False)
    assert x_train.shape[1:] == (62, 47) and x_train.dtype == np.uint8
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert counts.tolist() == [236, 530, 144]
    assert len(lfw.class_names(min_faces_per_person=50, data_dir=root, download=False)) == 12
    (xc, _), _ = lfw.load_data(min_faces_per_person=500, resize=0.4, color=True, data_dir=root, download=False)
    assert xc.shape[1:] == (50, 37, 3) and len(xc) == round(530 * 0.75)
