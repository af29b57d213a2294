"""CIFAR-10 and CIFAR-100: 50,000 training and 10,000 test 32x32 colour images.

A data folder (``<GLASSNET_DATA>/cifar10/`` or ``cifar100/``) may hold either

* the official distribution: ``cifar-10-python.tar.gz`` (read without
  extracting) or its extracted ``cifar-10-batches-py/`` folder — Python
  pickles, read through :class:`SafeUnpickler`, which admits only the plain
  data those files contain and refuses anything that could run code; or
* a pre-converted array layout: ``cifar10_{train,test}_{x,y}.npy`` (x: uint8
  (N, 32, 32, 3), y: integer labels), optionally ``.xz``-compressed; a
  compressed array is decompressed once into the cache folder.

When neither is present, the official tarball is downloaded and checked
against its published md5.

>>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
>>> x_train.shape, CIFAR10_CLASSES[0]  # doctest: +SKIP
((50000, 32, 32, 3), 'airplane')
"""

from __future__ import annotations

import io
import lzma
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

from glassnet.datasets import files
from glassnet.datasets.files import RemoteFile
from glassnet.errors import DataFileError, UnsafeFileError

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

CIFAR10 = RemoteFile("cifar-10-python.tar.gz", ("https://www.cs.toronto.edu/~kriz/",),
                     md5="c58f30108f718f92721af3b95e74349a", size=170498071)
CIFAR100 = RemoteFile("cifar-100-python.tar.gz", ("https://www.cs.toronto.edu/~kriz/",),
                      md5="eb9058c3a382ffc7106e4002c42a8d85", size=169001437)

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR100_CLASSES = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel "
    "can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur "
    "dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion "
    "lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree "
    "pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea "
    "seal shark shrew skunk skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table "
    "tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree wolf woman "
    "worm").split()
CIFAR100_COARSE_CLASSES = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices "
    "household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes "
    "large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals "
    "trees vehicles_1 vehicles_2").split()


# ---------------------------------------------------------------------------- safe pickles
def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """The only use of ``_codecs.encode`` admitted: a str -> bytes conversion, as Python 3 pickles bytes."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeFileError("A pickle used _codecs.encode for something other than bytes; refused.")
    return text.encode("latin1")


def _numpy_globals() -> dict[tuple[str, str], object]:
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray  # type: ignore[no-redef]
    allowed = {}
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
    allowed[("_codecs", "encode")] = _latin1_bytes  # how Python 3 writes bytes in protocol-2 pickles
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = np.dtype
    return allowed


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that admits only plain data: dict, list, tuple, bytes, str, numbers and numpy arrays.

    Any other global (a function, a class, ``os.system``...) is refused with
    :class:`UnsafeFileError` before it can be called.

    >>> import pickle
    >>> SafeUnpickler(io.BytesIO(pickle.dumps({'a': [1, 2]}))).load()
    {'a': [1, 2]}
    """

    _allowed = _numpy_globals()

    def __init__(self, file, where: str = "pickle data"):
        super().__init__(file, encoding="bytes")
        self.where = where

    def find_class(self, module: str, name: str):
        key = (module, name)
        if key in self._allowed:
            return self._allowed[key]
        raise UnsafeFileError(
            f"{self.where} asks to load '{module}.{name}', which is not plain data (only dict, list, bytes, "
            "str, int and numpy arrays are allowed). It was refused because loading it could run code. "
            "Use the official dataset file.")


def safe_load_pickle(data: bytes, where: str = "pickle data"):
    """Unpickle ``data`` with :class:`SafeUnpickler`; errors name ``where``.

    >>> import pickle
    >>> safe_load_pickle(pickle.dumps([b'x', 3]))
    [b'x', 3]
    """
    try:
        obj = SafeUnpickler(io.BytesIO(data), where).load()
    except UnsafeFileError:
        raise
    except Exception as err:  # UnpicklingError, EOFError, ValueError...
        raise DataFileError(f"{where} is not a readable pickle ({type(err).__name__}: {err}); it is truncated "
                            "or corrupt. Replace it with the official file.") from err
    _reject_object_arrays(obj, where)
    return obj


def _reject_object_arrays(obj, where: str) -> None:
    if isinstance(obj, np.ndarray) and obj.dtype.hasobject:
        raise UnsafeFileError(f"{where} contains an object array; only numeric arrays are allowed.")
    if isinstance(obj, dict):
        for value in obj.values():
            _reject_object_arrays(value, where)


def _key(batch: dict, name: str):
    for k in (name.encode(), name):
        if k in batch:
            return batch[k]
    raise KeyError(name)


def decode_batch(batch: dict, label_key: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    """An official CIFAR batch dict -> (uint8 (N, 32, 32, 3) images, uint8 labels), vectorised."""
    try:
        data, labels = np.asarray(_key(batch, "data")), np.asarray(_key(batch, label_key))
    except KeyError as err:
        raise DataFileError(f"{where} has no '{err.args[0]}' entry; it is not an official CIFAR batch.") from None
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataFileError(f"{where}: data of shape {data.shape} / dtype {data.dtype} with {len(labels)} labels "
                            "is not a CIFAR batch (expected uint8 (N, 3072) and N labels).")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.uint8)


# ---------------------------------------------------------------------------- official layout
def _read_official(source: Path, folder: str, train_names: list[str], test_name: str,
                   label_key: str) -> Arrays:
    """Read the official batches from a tarball or an extracted folder."""
    def read(name: str) -> tuple[np.ndarray, np.ndarray]:
        where = f"{source}/{name}" if source.is_dir() else f"{source} (member {folder}/{name})"
        if source.is_dir():
            path = source / name
            if not path.is_file():
                raise DataFileError(f"{path} is missing; the folder {source} is incomplete. Put the official "
                                    f"files there, or the tarball {source.parent / (folder + '.tar.gz')}.")
            raw = path.read_bytes()
        else:
            raw = members.get(f"{folder}/{name}")
            if raw is None:
                raise DataFileError(f"{source} has no member {folder}/{name}; it is not the official archive.")
        return decode_batch(safe_load_pickle(raw, where), label_key, where)

    members: dict[str, bytes] = {}
    if not source.is_dir():
        try:
            with tarfile.open(source, "r:gz") as tar:
                for member in tar.getmembers():
                    if member.isfile():
                        members[member.name] = tar.extractfile(member).read()
        except (tarfile.TarError, EOFError, OSError) as err:
            raise DataFileError(f"{source} cannot be read as a .tar.gz ({err}); it is truncated or corrupt. "
                                "Delete it and load again.") from err
    train = [read(name) for name in train_names]
    x_test, y_test = read(test_name)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


# ---------------------------------------------------------------------------- array layout
def _array_file(folder: Path, stem: str) -> Path | None:
    for suffix in (".npy", ".npy.xz"):
        if (folder / (stem + suffix)).is_file():
            return folder / (stem + suffix)
    return None


def load_npy(path: Path) -> np.ndarray:
    """Load a ``.npy`` (never pickled objects) or an ``.npy.xz``, decompressed once into the cache folder."""
    if path.name.endswith(".xz"):
        stat = path.stat()
        cached = files.cache_dir() / "arrays" / f"{path.name[:-3].removesuffix('.npy')}-{stat.st_size}-{stat.st_mtime_ns}.npy"
        if not cached.is_file():
            def decompress(out):
                try:
                    with lzma.open(path) as src:
                        while chunk := src.read(1 << 22):
                            out.write(chunk)
                except (lzma.LZMAError, EOFError) as err:
                    raise DataFileError(f"{path} cannot be decompressed ({err}); it is truncated or corrupt. "
                                        "Replace it with a complete copy.") from err
            files.atomic_write_bytes(cached, decompress)
        path = cached
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        raise DataFileError(f"{path} is not a plain numpy array file ({err}).") from err


def _read_arrays(folder: Path, prefix: str, image_shape=(32, 32, 3)) -> Arrays | None:
    """The pre-converted layout ``<prefix>_{train,test}_{x,y}.npy[.xz]`` if all four are in ``folder``."""
    paths = {k: _array_file(folder, f"{prefix}_{k}") for k in ("train_x", "train_y", "test_x", "test_y")}
    if not any(paths.values()):
        return None
    missing = [f"{prefix}_{k}.npy[.xz]" for k, p in paths.items() if p is None]
    if missing:
        raise DataFileError(f"{folder} holds part of the array layout; missing: {', '.join(missing)}.")
    arrays = {k: load_npy(p) for k, p in paths.items()}
    for split in ("train", "test"):
        x, y = arrays[f"{split}_x"], arrays[f"{split}_y"]
        if x.dtype != np.uint8 or x.shape[1:] != image_shape or y.shape != (len(x),):
            raise DataFileError(f"{paths[split + '_x']}: arrays of shape {x.shape} ({x.dtype}) and labels "
                                f"{y.shape} do not form {prefix} images (N, {', '.join(map(str, image_shape))}) "
                                "uint8 with N labels.")
    return tuple(_mixed(arrays[f"{split}_x"], arrays[f"{split}_y"].astype(np.uint8)) for split in ("train", "test"))


def _mixed(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The array layout is grouped by class (see ../shared/data/SOURCES.md); the official batches are in
    random order, so ``x[:5000]`` is a mixed subset there. A fixed permutation (seed 0) gives the same
    property here, identically on every machine.

    >>> _mixed(np.arange(6), np.array([0, 0, 0, 1, 1, 1]))[1].tolist()
    [1, 0, 1, 1, 0, 0]
    """
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], y[order]


# ---------------------------------------------------------------------------- public loaders
def _load(subdir: str, prefix: str, spec: RemoteFile, folder: str, train_names: list[str], test_name: str,
          label_key: str, data_dir, download: bool) -> Arrays:
    base = files.data_dir(data_dir) / subdir
    arrays = _read_arrays(base, prefix)
    if arrays is not None:
        return arrays
    if (base / folder).is_dir():
        return _read_official(base / folder, folder, train_names, test_name, label_key)
    tarball = files.fetch(subdir, spec, data_dir, download=download)
    return _read_official(tarball, folder, train_names, test_name, label_key)


def load_data(data_dir: str | os.PathLike | None = None, download: bool = True) -> Arrays:
    """CIFAR-10: ``(x_train, y_train), (x_test, y_test)``, uint8 (N, 32, 32, 3) images, uint8 labels 0-9.

    Looks in ``<data_dir or GLASSNET_DATA>/cifar10/`` for the array layout, the
    extracted ``cifar-10-batches-py/`` or ``cifar-10-python.tar.gz`` (downloaded if absent).
    Class names: :data:`CIFAR10_CLASSES`.

    >>> (x_train, y_train), _ = load_data()  # doctest: +SKIP
    >>> x_train.shape  # doctest: +SKIP
    (50000, 32, 32, 3)
    """
    return _load("cifar10", "cifar10", CIFAR10, "cifar-10-batches-py",
                 [f"data_batch_{i}" for i in range(1, 6)], "test_batch", "labels", data_dir, download)


def load_data_100(label_mode: str = "fine", data_dir: str | os.PathLike | None = None,
                  download: bool = True) -> Arrays:
    """CIFAR-100 with ``label_mode`` 'fine' (100 classes) or 'coarse' (20 superclasses).

    Looks in ``<data_dir or GLASSNET_DATA>/cifar100/``. Class names:
    :data:`CIFAR100_CLASSES` / :data:`CIFAR100_COARSE_CLASSES`.

    >>> (x_train, y_train), _ = load_data_100('coarse')  # doctest: +SKIP
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f"label_mode must be 'fine' or 'coarse', not {label_mode!r}.")
    return _load("cifar100", f"cifar100_{label_mode}", CIFAR100, "cifar-100-python", ["train"], "test",
                 f"{label_mode}_labels", data_dir, download)
