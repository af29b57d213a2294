"""image_dataset_from_directory (formats, labels, splits, corrupt files) and the array / CSV constructors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
except ImportError:
    from conftest import require_data
from glassnet.datasets import from_arrays, from_csv, image_dataset_from_directory, show, show_augmentation
from glassnet.errors import DataFileError, LabelError
from glassnet.layers import RandomFlip


@pytest.fixture
def folder(tmp_path):
    """cats/ and dogs/ with PNG, JPEG, BMP and GIF files of different sizes, plus one corrupt JPEG."""
    rng = np.random.default_rng(0)
    root = tmp_path / "pets"
    for c, name in enumerate(["cats", "dogs"]):
        (root / name).mkdir(parents=True)
        for i, ext in enumerate(["png", "jpg", "bmp", "gif", "png", "jpeg"]):
            size = (20 + i, 16 + 2 * i)
            Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(root / name / f"{i}.{ext}")
    photo = require_data("photos", "n01440764_tench.JPEG").read_bytes()
    (root / "dogs" / "broken.jpg").write_bytes(photo[:2000])  # a real JPEG, cut short
    (root / "cats" / "notes.txt").write_text("not an image")
    return root


def test_classes_formats_and_batches(folder):
    with pytest.warns(UserWarning, match="broken.jpg"):
        ds = image_dataset_from_directory(folder, image_size=(12, 10), batch_size=4, seed=0)
    assert ds.class_names == ["cats", "dogs"] and len(ds) == 3
    x, y = next(iter(ds))
    assert x.shape == (4, 12, 10, 3) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0 <= x.min() and x.max() <= 255
    xs, ys = ds.as_numpy()
    assert len(xs) == 12 and np.bincount(ys).tolist() == [6, 6]


def test_corrupt_jpeg_reported_by_path_or_fails(folder):
    with pytest.raises(DataFileError, match=r"dogs[/\\]broken\.jpg"):
        image_dataset_from_directory(folder, image_size=(8, 8), on_error="raise")


def test_streaming_path_reports_corrupt_file_in_main_process(folder):
    ds = image_dataset_from_directory(folder, image_size=(8, 8), batch_size=5, in_memory=False, num_workers=1,
                                      on_error="raise", seed=0)
    with pytest.raises(DataFileError, match="broken.jpg"):
        list(ds)
    ds = image_dataset_from_directory(folder, image_size=(8, 8), batch_size=5, in_memory=False, num_workers=0,
                                      color_mode="grayscale", label_mode="categorical", seed=0)
    with pytest.warns(UserWarning, match="broken.jpg"):
        batches = list(ds)
    assert sum(len(x) for x, _ in batches) == 12 and batches[0][0].shape[1:] == (8, 8, 1)
    assert batches[0][1].shape[1:] == (2,)


def test_label_modes_and_validation_split(folder):
    with pytest.warns(UserWarning, match="broken.jpg"):
        train, val = image_dataset_from_directory(folder, image_size=(8, 8), validation_split=0.25, subset="both",
                                                  seed=3, label_mode="binary", color_mode="grayscale")
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(train.file_paths) + len(val.file_paths) == 13 and len(val.file_paths) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = image_dataset_from_directory(folder, image_size=(8, 8), validation_split=0.25, subset="validation",
                                             seed=3)
    assert again.file_paths == val.file_paths
    x, y = next(iter(train))
    assert x.shape[-1] == 1 and y.dtype == torch.float32 and y.shape[1:] == (1,)
    with pytest.raises(LabelError):
        image_dataset_from_directory(folder, class_names=["cats", "birds"])


def test_from_arrays_and_csv(tmp_path):
    ds = from_arrays(torch.randint(0, 256, (10, 4, 4, 1), dtype=torch.uint8), np.arange(10) % 3,
                     label_mode="categorical", batch_size=4, seed=0)
    assert ds.x.dtype == torch.uint8  # kept as uint8 on the device
    x, y = next(iter(ds))
    assert x.dtype == torch.float32 and y.shape == (4, 3)
    frame = pd.DataFrame({"size": [50.0, 80.0, 120.0, 65.0], "city": ["a", "b", "a", "c"],
                          "kind": ["flat", "house", "house", "flat"], "price": [1.0, 2.0, 3.5, 1.2]})
    frame.to_csv(tmp_path / "homes.csv", index=False)
    cls = from_csv(tmp_path / "homes.csv", target="kind", shuffle=False)
    assert cls.class_names == ["flat", "house"] and next(iter(cls))[1].tolist() == [0, 1, 1, 0]
    reg = from_csv(tmp_path / "homes.csv", target="price", shuffle=False)
    xr, yr = next(iter(reg))
    assert yr.dtype == torch.float32 and xr.shape[1] == len(reg.feature_names)


def test_show_and_augmentation_preview(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (30, 16, 16, 3), dtype=np.uint8)
    grid = show(x, np.arange(30) % 3, n=25, class_names=["a", "b", "c"], path=tmp_path / "grid.png")
    assert Image.open(grid).size[0] > 100
    ds = from_arrays(x, np.arange(30) % 3, class_names=["a", "b", "c"])
    assert Image.open(show(ds, path=tmp_path / "ds.png")).format == "PNG"
    assert Image.open(show_augmentation(x, RandomFlip(seed=0), path=tmp_path / "aug.png")).format == "PNG"


def test_augmentation_preview_has_one_column_per_image_and_leaves_the_layer_in_its_mode(tmp_path, monkeypatch):
    import sys
    show_module = sys.modules["glassnet.datasets.show"]  # the package's `show` attribute is the function
    seen = {}
    real_show = show_module.show

    def spy(grid, *args, **kwargs):  # records the layout asked of the real show(), which still draws it
        seen.update(count=len(grid), columns=kwargs.get("columns"))
        return real_show(grid, *args, **kwargs)

    monkeypatch.setattr(show_module, "show", spy)
    flip = RandomFlip(seed=0)
    flip.eval()
    x = np.random.default_rng(0).integers(0, 256, (8, 8, 8, 3), dtype=np.uint8)
    assert Image.open(show_augmentation(x, flip, n=8, path=tmp_path / "aug.png")).format == "PNG"
    assert seen == {"count": 32, "columns": 8}  # 4 rows of 8: originals on top, 3 augmented rows below
    assert flip.training is False
