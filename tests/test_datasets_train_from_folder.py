"""An MNIST convnet trained through image_dataset_from_directory (a folder of PNGs) matches the array path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
    from tests.datasets_support import cache, session_cache  # noqa: F401
except ImportError:
    from conftest import require_data
    from datasets_support import cache, session_cache  # noqa: F401
from glassnet.datasets import image_dataset_from_directory, mnist
from glassnet.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, Rescaling
from glassnet.models import Sequential

N_TRAIN, N_TEST = 2000, 1000


def _model():
    torch.manual_seed(0)
    model = Sequential([Input((28, 28, 1)), Rescaling(1 / 255), Conv2D(8, 3, activation="relu"), MaxPooling2D(),
                        Flatten(), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_convnet_from_png_folder_matches_array_path(tmp_path, cache):
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir=require_data("mnist").parent, download=False)
    x_train, y_train = x_train[:N_TRAIN], y_train[:N_TRAIN]
    x_test, y_test = x_test[:N_TEST, ..., None], y_test[:N_TEST].astype(np.int64)
    for i, (image, label) in enumerate(zip(x_train, y_train)):
        folder = tmp_path / "digits" / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{i:05d}.png")

    ds = image_dataset_from_directory(tmp_path / "digits", color_mode="grayscale", image_size=(28, 28),
                                      batch_size=32, seed=0)
    assert ds.class_names == [str(d) for d in range(10)]
    xs, ys = ds.as_numpy()
    assert xs.shape == (N_TRAIN, 28, 28, 1) and np.bincount(ys).tolist() == np.bincount(y_train).tolist()

    from_folder = _model()
    from_folder.fit(ds, epochs=2, verbose=0)
    folder_acc = from_folder.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]

    from_arrays = _model()
    from_arrays.fit(x_train[..., None], y_train.astype(np.int64), batch_size=32, epochs=2, verbose=0)
    array_acc = from_arrays.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]

    print(f"accuracy: folder {folder_acc:.3f}, arrays {array_acc:.3f}")
    assert array_acc > 0.75 and folder_acc > 0.75
    assert abs(folder_acc - array_acc) < 0.03, (folder_acc, array_acc)
