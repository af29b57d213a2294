"""The IDX format of MNIST and Fashion-MNIST, decoded with numpy in one step.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian int32 per dimension, then the values. Files
usually come gzip-compressed.

>>> import numpy as np, struct
>>> raw = struct.pack('>BBBB', 0, 0, 0x08, 2) + struct.pack('>II', 2, 3) + bytes(range(6))
>>> parse_idx(raw).tolist()
[[0, 1, 2], [3, 4, 5]]
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from glassnet.datasets import files
from glassnet.errors import DataFileError

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def parse_idx(raw: bytes, where: str = "IDX data") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a numpy array (native byte order).

    Raises :class:`DataFileError` naming ``where`` on a bad header or a size mismatch.

    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9])).tolist()
    [7, 9]
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise DataFileError(f"{where} is not an IDX file (bad magic number {raw[:4].hex()}). "
                            "Replace it with the official file.")
    dtype, ndim = _TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"{where} is truncated inside its header. Replace it with the official file.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataFileError(f"{where} holds {len(raw) - header:,} bytes of data, but its header announces "
                            f"shape {shape} ({expected:,} bytes): the file is truncated or corrupt.")
    array = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


MAX_BYTES = 4 << 30  # the largest IDX payload read_idx accepts (MNIST's biggest file holds 47 MB)


def read_idx(path: str | os.PathLike, max_bytes: int | None = None) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or not.

    The header is read first; only the number of bytes it announces is then decompressed (at
    most ``max_bytes``, default :data:`MAX_BYTES`), and any data beyond it is an error: a
    gzip bomb cannot fill the memory.

    >>> import tempfile, pathlib, gzip
    >>> p = pathlib.Path(tempfile.mkdtemp()) / 'x.gz'
    >>> _ = p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 1, 42])))
    >>> read_idx(p).tolist()
    [42]
    """
    path = Path(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _TYPES:
                return parse_idx(head, where=str(path))  # raises: not an IDX file
            head += f.read(4 * head[3])
            if len(head) < 4 + 4 * head[3]:
                return parse_idx(head, where=str(path))  # raises: truncated header
            shape = struct.unpack(f">{head[3]}I", head[4:])
            expected = int(np.prod(shape, dtype=np.int64)) * _TYPES[head[2]].itemsize
            if expected > limit:
                raise DataFileError(f"{path} announces shape {shape} ({expected:,} bytes), over the limit of "
                                    f"{limit:,} bytes: it is not an MNIST-style file (or was crafted). Pass "
                                    "max_bytes= to read a genuine larger file.")
            body = f.read(expected)
            extra = f.read(1)
    except (EOFError, OSError, zlib.error) as err:
        raise DataFileError(f"{path} cannot be decompressed ({err}); it is truncated or corrupt. "
                            "Delete it and load again, or replace it with the official file.") from err
    if extra:
        raise DataFileError(f"{path} holds more data than its header announces (shape {shape}): it is corrupt "
                            "or crafted. Replace it with the official file.")
    return parse_idx(head + body, where=str(path))


def load_idx_dataset(subdir: str, specs: dict[str, files.RemoteFile], root=None, download: bool = True,
                     ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load an MNIST-style dataset from its four IDX files.

    ``specs`` maps 'train_images', 'train_labels', 'test_images', 'test_labels'
    to :class:`files.RemoteFile`. Decompressed arrays are cached as ``.npy`` in
    the cache directory, keyed by the archive's checksum, so later loads are fast.
    """
    paths = files.fetch_all(subdir, specs.values(), root, download=download)
    arrays = {}
    for key, spec in specs.items():
        arrays[key] = _cached_idx(paths[spec.name], spec)
    x_train, y_train, x_test, y_test = (arrays[k] for k in ("train_images", "train_labels",
                                                            "test_images", "test_labels"))
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(x) != len(y):
            raise DataFileError(f"{subdir}: {split} has {len(x)} images but {len(y)} labels; "
                                f"the files in {files.data_dir(root) / subdir} do not belong together.")
    return (x_train, y_train), (x_test, y_test)


def _cached_idx(path: Path, spec: files.RemoteFile) -> np.ndarray:
    """The decoded array of a verified IDX file, from the .npy cache when possible."""
    _, digest = spec.checksum()
    cached = files.cache_dir() / "idx" / f"{spec.name.removesuffix('.gz')}-{digest[:16]}.npy"
    if cached.is_file():
        try:
            return np.load(cached, allow_pickle=False)
        except (OSError, ValueError):
            cached.unlink(missing_ok=True)
    array = read_idx(path)
    try:
        files.atomic_write_bytes(cached, lambda f: np.save(f, array, allow_pickle=False))
    except OSError:
        pass  # a read-only cache only costs speed
    return array
