"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grayscale.

Files: the four official IDX ``.gz`` files in ``<GLASSNET_DATA>/mnist/``,
downloaded from the mirrors Keras and torchvision use when absent.

>>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
>>> x_train.shape, x_train.dtype  # doctest: +SKIP
((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.datasets.files import RemoteFile
from glassnet.datasets.idx import load_idx_dataset

MIRRORS: tuple[str, ...] = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                            "https://storage.googleapis.com/cvdf-datasets/mnist/")

FILES = {  # official md5 checksums and sizes
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542),
}

class_names: list[str] = [str(d) for d in range(10)]


def load_data(data_dir: str | os.PathLike | None = None, download: bool = True,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 images (N, 28, 28) and uint8 labels 0-9.

    ``data_dir`` overrides ``GLASSNET_DATA``; files are looked for in its ``mnist/`` folder.

    >>> (x_train, y_train), _ = load_data()  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    specs = {key: RemoteFile(name, MIRRORS, md5=md5, size=size) for key, (name, md5, size) in FILES.items()}
    return load_idx_dataset("mnist", specs, data_dir, download=download)
