"""Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grayscale clothing images, 10 classes.

Files: the four official IDX ``.gz`` files in ``<GLASSNET_DATA>/fashion-mnist/``
(downloaded from the official mirrors when absent).

>>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
>>> class_names[y_train[0]]  # doctest: +SKIP
'Ankle boot'
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.datasets.files import RemoteFile
from glassnet.datasets.idx import load_idx_dataset

MIRRORS: tuple[str, ...] = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
                            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/")

FILES = {  # official md5 checksums and sizes
    "train_images": ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
    "train_labels": ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
    "test_images": ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148),
}

class_names: list[str] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def load_data(data_dir: str | os.PathLike | None = None, download: bool = True,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 28, 28), uint8 labels 0-9.

    Files are looked for in ``<data_dir or GLASSNET_DATA>/fashion-mnist/``.

    >>> (x_train, y_train), _ = load_data()  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    specs = {key: RemoteFile(name, MIRRORS, md5=md5, size=size) for key, (name, md5, size) in FILES.items()}
    return load_idx_dataset("fashion-mnist", specs, data_dir, download=download)
