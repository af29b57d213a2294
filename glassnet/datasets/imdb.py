"""IMDB movie reviews, 25,000 train + 25,000 test, as word-index sequences (Keras' ``imdb`` dataset).

``load_data`` downloads Keras' official ``imdb.npz`` (checked by its sha256)
into ``<GLASSNET_DATA>/imdb/`` through glassnet's one download path
(:func:`glassnet.datasets.files.fetch`) and applies Keras' rules: seeded
shuffle, ``start_char`` / ``index_from`` shifts, ``maxlen`` filter,
``num_words`` / ``skip_top`` cut to ``oov_char``.

The archive stores each split as a NumPy *object* array of Python lists,
which ``np.load`` can only read with ``allow_pickle=True`` — and a pickle can
run any code. glassnet never does that: numeric members load with pickling
off; object members go through :class:`ArrayUnpickler`, which rebuilds NumPy
arrays and refuses every other global (``os.system``...), raising
:class:`~glassnet.errors.UnsafeFileError`. (Keras 3.11+ reads it the same way.)

>>> (x_train, y_train), (x_test, y_test) = load_data(num_words=10000)  # doctest: +SKIP
>>> x_train[0][:4]  # doctest: +SKIP
[1, 14, 22, 16]
"""

from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from glassnet.datasets.files import RemoteFile, fetch
from glassnet.errors import DataFileError, InvalidArgumentError, UnsafeFileError

MIRRORS: tuple[str, ...] = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",)
ARCHIVE = ("imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f")  # Keras' sha256
WORD_INDEX = ("imdb_word_index.json", "bfafd718b763782e994055a2d397834f")  # Keras' md5

_ARRAY_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                            ("numpy._core.multiarray", "_reconstruct")})


class ArrayUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays of Python lists / numbers and nothing else (no other global is imported).

    >>> data = pickle.dumps(np.array([[1, 2], [3]], dtype=object))
    >>> ArrayUnpickler(io.BytesIO(data)).load().tolist()
    [[1, 2], [3]]
    """

    def find_class(self, module: str, name: str):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise UnsafeFileError(f"refusing to unpickle {module}.{name}: this .npz member holds more than NumPy "
                              "arrays (a tampered or foreign file).")


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every ``.npy`` member of an ``.npz`` archive, object arrays included, without unrestricted pickle.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / 'a.npz'
    >>> np.savez(p, x=np.array([[1], [2, 3]], dtype=object), y=np.arange(2))
    >>> {k: v.tolist() for k, v in read_npz(p).items()}
    {'x': [[1], [2, 3]], 'y': [0, 1]}
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    arrays[member[:-4]] = _read_npy(io.BytesIO(archive.read(member)))
    except UnsafeFileError as err:  # (a ValueError too: caught first)
        raise UnsafeFileError(f"{path}: {err} Delete it and download the official file.") from err
    except (zipfile.BadZipFile, ValueError, EOFError, pickle.UnpicklingError) as err:
        raise DataFileError(f"{path}: not a readable .npz archive ({err}). Delete it so it is downloaded again.") \
            from err
    return arrays


def _read_npy(stream: io.BytesIO) -> np.ndarray:
    version = np.lib.format.read_magic(stream)
    header = np.lib.format.read_array_header_1_0 if version[0] == 1 else np.lib.format.read_array_header_2_0
    _, _, dtype = header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    return ArrayUnpickler(stream).load()  # the pickle stream follows the header


def load_data(path: str = "imdb.npz", num_words: int | None = None, skip_top: int = 0, maxlen: int | None = None,
              seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              data_dir: str | os.PathLike | None = None, download: bool = True,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Keras' ``imdb.load_data``: ``(x_train, y_train), (x_test, y_test)``, x an object array of lists of
    word indices (index ``i + index_from`` is the i-th most frequent word), y 0/1.

    ``maxlen`` drops (not cuts) reviews of ``maxlen`` words or more, as Keras
    does; pad the rest with :func:`glassnet.utils.pad_sequences`.

    >>> (x_train, y_train), _ = load_data(num_words=10000, maxlen=200)  # doctest: +SKIP
    """
    spec = RemoteFile(ARCHIVE[0], MIRRORS, sha256=ARCHIVE[1])
    archive = read_npz(fetch("imdb", spec, data_dir, download=download) if path == "imdb.npz" else Path(path))
    rng = np.random.RandomState(seed)
    splits = []
    for part in ("train", "test"):
        x, y = archive[f"x_{part}"], archive[f"y_{part}"]
        order = np.arange(len(x))
        rng.shuffle(order)
        splits.append((x[order], y[order]))
    shifted = []
    for x, y in splits:
        lead = [start_char] if start_char is not None else []
        seqs = [lead + [int(w) + index_from for w in s] for s in x]
        if maxlen:
            keep = [i for i, s in enumerate(seqs) if len(s) < maxlen]
            seqs, y = [seqs[i] for i in keep], y[keep]
        shifted.append((seqs, y))
    if maxlen and not (shifted[0][0] and shifted[1][0]):
        raise InvalidArgumentError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; raise maxlen.")
    every = shifted[0][0] + shifted[1][0]
    top = num_words or max(max(s) for s in every if s)
    if oov_char is not None:
        every = [[w if skip_top <= w < top else oov_char for w in s] for s in every]
    else:
        every = [[w for w in s if skip_top <= w < top] for s in every]
    n_train = len(shifted[0][0])
    return ((_object_array(every[:n_train]), shifted[0][1]), (_object_array(every[n_train:]), shifted[1][1]))


def _object_array(lists: list[list[int]]) -> np.ndarray:
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def get_word_index(data_dir: str | os.PathLike | None = None, download: bool = True) -> dict[str, int]:
    """Keras' ``imdb.get_word_index``: word -> rank (1 = most frequent); add ``index_from`` (3) to match
    :func:`load_data`'s indices.

    >>> index = get_word_index()  # doctest: +SKIP
    >>> index['the']  # doctest: +SKIP
    1
    """
    spec = RemoteFile(WORD_INDEX[0], MIRRORS, md5=WORD_INDEX[1])
    with open(fetch("imdb", spec, data_dir, download=download), encoding="utf-8") as f:
        return json.load(f)


__all__ = ["load_data", "get_word_index", "read_npz", "ArrayUnpickler"]
