"""Text as a batch pipeline: :class:`TextDataset` and ``text_dataset_from_directory`` (Keras' function).

Batches carry the raw strings (a NumPy object array) and the labels as
tensors; a ``map`` step with a :class:`~glassnet.layers.TextVectorization`
turns the strings into token ids, Keras' recommended pattern::

    train = text_dataset_from_directory('reviews', validation_split=0.2, subset='training', seed=1)
    vectorize = TextVectorization(max_tokens=20000, output_sequence_length=200)
    vectorize.adapt(train)                       # the texts of every (x, y) batch
    model.fit(train.map(lambda x, y: (vectorize(x), y)), epochs=3)

>>> ds = TextDataset(['good film', 'bad film', 'great'], [1, 0, 1], batch_size=2, shuffle=False)
>>> [x.tolist() for x, _ in ds]
[['good film', 'bad film'], ['great']]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from glassnet.datasets.directory import list_images
from glassnet.datasets.pipeline import TensorDataset
from glassnet.errors import DataFileError, LabelError
from glassnet.layers.lookup import as_token_array


class TextDataset(TensorDataset):
    """In-memory texts with labels, batched like :class:`TensorDataset` (same seeded per-epoch order):
    each batch is ``(strings, labels)``, the strings a NumPy object array.

    >>> ds = TextDataset(np.array(['a', 'b', 'c']), batch_size=2, seed=0)
    >>> len(ds), sorted(np.concatenate(list(ds)).tolist())
    (2, ['a', 'b', 'c'])
    """

    def __init__(self, texts: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
                 seed: int | None = None, label_mode: str | None = "int", num_classes: int | None = None,
                 class_names: Sequence[str] | None = None, device: Any = None):
        self.texts = as_token_array(texts).reshape(-1)
        super().__init__(np.arange(len(self.texts)), y, batch_size=batch_size, shuffle=shuffle, seed=seed,
                         label_mode=label_mode, num_classes=num_classes, class_names=class_names, device=device)

    def _raw_batches(self):
        for index, y in super()._raw_batches():
            yield self.texts[index.cpu().numpy()], y

    def __repr__(self) -> str:
        return (f"TextDataset({len(self.texts)} texts, {len(self)} batches of {self.batch_size}, "
                f"label_mode={self.label_mode!r})")


def _read(path: Path, max_length: int | None) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as err:
        raise DataFileError(f"{path}: cannot read this text file ({err.strerror or err}).") from err
    return text[:max_length] if max_length is not None else text


def text_dataset_from_directory(directory: str | os.PathLike, labels: Any = "inferred", label_mode: str | None = "int",
                                class_names: Sequence[str] | None = None, batch_size: int = 32,
                                max_length: int | None = None, shuffle: bool = True, seed: int | None = None,
                                validation_split: float | None = None, subset: str | None = None,
                                follow_links: bool = False, device: Any = None):
    """Keras' ``text_dataset_from_directory``: ``.txt`` files, one sub-folder per class, as a
    :class:`TextDataset` of ``(strings, labels)`` batches.

    Files are listed and labelled as ``image_dataset_from_directory`` does (same
    order, same seeded ``validation_split`` / ``subset``); ``max_length`` keeps
    the first characters of each text.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for label, text in [('neg', 'awful'), ('pos', 'lovely')]:
    ...     (root / label).mkdir(); _ = (root / label / 'a.txt').write_text(text)
    >>> ds = text_dataset_from_directory(root, shuffle=False)
    >>> x, y = next(iter(ds)); x.tolist(), y.tolist(), ds.class_names
    (['awful', 'lovely'], [0, 1], ['neg', 'pos'])
    """
    if subset is not None and not validation_split:
        raise ValueError("subset= needs validation_split= (e.g. validation_split=0.2, subset='training').")
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"subset must be 'training', 'validation' or 'both', not {subset!r}.")
    directory = Path(directory)
    paths, ys, names = list_images(directory, labels, class_names, follow_links, extensions=(".txt",))
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise LabelError(f"label_mode='binary' needs exactly 2 classes; {directory} has {len(names)}: {names}.")
    if labels is None:
        label_mode = None
    seed = 0 if seed is None else seed
    groups = {"training": np.arange(len(paths))}
    if validation_split:  # the same seeded permutation as image_dataset_from_directory
        order = np.random.default_rng(seed).permutation(len(paths))
        n_val = int(validation_split * len(paths))
        groups = {"training": order[:len(paths) - n_val], "validation": order[len(paths) - n_val:]}
    wanted = ["training", "validation"] if subset == "both" else [subset or "training"]
    made = []
    for key in wanted:
        index = groups[key]
        texts = [_read(paths[i], max_length) for i in index]
        ds = TextDataset(texts, ys[index] if ys is not None else None, batch_size=batch_size, shuffle=shuffle,
                         seed=seed, label_mode=label_mode, num_classes=len(names) if names else None,
                         class_names=names, device=device)
        ds.file_paths = [str(paths[i]) for i in index]
        made.append(ds)
    return made if subset == "both" else made[0]


__all__ = ["TextDataset", "text_dataset_from_directory"]
