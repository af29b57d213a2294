"""The 8x8 handwritten digits bundled with scikit-learn (1,797 images): always available offline.

Pixels are rescaled from scikit-learn's 0-16 to uint8 0-255, so the usual
``Rescaling(1/255)`` applies. There is no official test split; a stratified,
seeded one is made with :func:`glassnet.datasets.split.split_indices`.

>>> (x_train, y_train), (x_test, y_test) = load_data()
>>> x_train.shape[1:], x_train.dtype, len(x_train) + len(x_test)
((8, 8), dtype('uint8'), 1797)
"""

from __future__ import annotations

import numpy as np

from glassnet.datasets.split import split_indices

class_names: list[str] = [str(d) for d in range(10)]


def load_data(test_split: float = 0.2, seed: int = 0,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: uint8 (N, 8, 8) images 0-255 and uint8 labels 0-9.

    >>> (x_train, y_train), _ = load_data(test_split=0.5)
    >>> len(x_train)
    899
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.round(bunch.images * (255 / 16)).astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    train, _, test = split_indices(len(labels), labels, (1 - test_split, 0.0, test_split), seed=seed)
    return (images[train], labels[train]), (images[test], labels[test])
