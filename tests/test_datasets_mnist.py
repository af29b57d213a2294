"""MNIST and Fashion-MNIST from the real IDX files, and the IDX decoder on hand-made files."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys

import numpy as np
import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
    from tests.datasets_support import cache, session_cache  # noqa: F401
except ImportError:
    from conftest import require_data
    from datasets_support import cache, session_cache  # noqa: F401
from glassnet.datasets import idx, mnist
from glassnet.errors import DataFileError

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_mnist_shapes_and_counts(cache):
    root = require_data("mnist").parent
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir=root, download=False)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert np.bincount(y_train).tolist() == MNIST_TRAIN_COUNTS
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert mnist.class_names == [str(d) for d in range(10)]


def test_mnist_cached_load_is_fast(cache, tmp_path):
    root = require_data("mnist").parent
    mnist.load_data(data_dir=root, download=False)  # fills the cache
    code = ("import time; from glassnet.datasets import mnist; t = time.perf_counter(); "
            f"mnist.load_data(data_dir={str(root)!r}, download=False); print(time.perf_counter() - t)")
    env = {"GLASSNET_CACHE": str(cache), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert float(out.stdout.strip().splitlines()[-1]) < 1.0


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    return struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def test_parse_idx_roundtrip_and_errors(tmp_path):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(idx.parse_idx(_idx_bytes(array)), array)
    wide = np.arange(6, dtype=">i4").reshape(2, 3)
    assert idx.parse_idx(_idx_bytes(wide, 0x0C)).tolist() == wide.tolist()
    with pytest.raises(DataFileError, match="truncated or corrupt"):
        idx.parse_idx(_idx_bytes(array)[:-1], where="x.idx")
    with pytest.raises(DataFileError, match="not an IDX file"):
        idx.parse_idx(b"\x89PNG....")
    bad = tmp_path / "cut.gz"
    bad.write_bytes(gzip.compress(_idx_bytes(array))[:-10])
    with pytest.raises(DataFileError, match="cut.gz"):
        idx.read_idx(bad)


def test_missing_files_error_says_where(tmp_path, cache):
    with pytest.raises(DataFileError) as info:
        mnist.load_data(data_dir=tmp_path, download=False)
    text = str(info.value)
    assert "train-images-idx3-ubyte.gz" in text and str(tmp_path / "mnist") in text


def test_wrong_checksum_is_named(tmp_path, cache):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"x" * 4542)
    with pytest.raises(DataFileError, match="t10k-labels-idx1-ubyte.gz is corrupt"):
        mnist.load_data(data_dir=tmp_path, download=False)


def test_fashion_mnist_counts_and_names(cache):
    from glassnet.datasets import fashion_mnist

    root = require_data("fashion-mnist").parent
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(data_dir=root, download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert abs(x_train.mean() / 255 - 0.2860406) < 1e-6
    assert fashion_mnist.class_names[9] == "Ankle boot" and len(fashion_mnist.class_names) == 10
