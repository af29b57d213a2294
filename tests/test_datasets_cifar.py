"""CIFAR: the real CIFAR-10 arrays, the official-pickle reader on hand-written batches, unsafe pickles."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
    from tests.datasets_support import cache, session_cache  # noqa: F401
except ImportError:
    from conftest import require_data
    from datasets_support import cache, session_cache  # noqa: F401
from glassnet.datasets import cifar, cifar10, cifar100
from glassnet.errors import DataFileError, UnsafeFileError


@pytest.fixture(scope="session")
def cifar10_arrays(session_cache):
    """The shared CIFAR-10 arrays, decompressed once per session into the tmp cache."""
    root = require_data("cifar10").parent
    return cifar10.load_data(data_dir=root, download=False)


def test_cifar10_counts_and_names(cifar10_arrays, cache):
    (x_train, y_train), (x_test, y_test) = cifar10_arrays
    assert x_train.shape == (50000, 32, 32, 3) and x_test.shape == (10000, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (50000, 1) and y_test.shape == (10000, 1)  # Keras' (N, 1) labels
    assert np.bincount(y_train.ravel()).tolist() == [5000] * 10
    assert np.bincount(y_test.ravel()).tolist() == [1000] * 10
    mean = x_train.reshape(-1, 3).mean(0) / 255
    assert np.allclose(mean, [0.49139968, 0.48215841, 0.44653091], atol=1e-6)
    assert cifar10.class_names == ["airplane", "automobile", "bird", "cat", "deer",
                                   "dog", "frog", "horse", "ship", "truck"]


def test_array_layout_decompressed_once(cifar10_arrays, cache):
    cached = sorted((cache / "arrays").glob("cifar10_train_x-*.npy"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    cifar10.load_data(data_dir=require_data("cifar10").parent, download=False)
    assert cached[0].stat().st_mtime_ns == before


def _official_batches(rng, n_per_batch=8):
    """Batches in the official format (protocol-2 pickles of dicts with bytes keys), and the images they hold."""
    batches, images, labels = {}, [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x = rng.integers(0, 256, (n_per_batch, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, n_per_batch).tolist()
        data = x.transpose(0, 3, 1, 2).reshape(n_per_batch, 3072)  # rows: 1024 R, 1024 G, 1024 B
        batch = {b"batch_label": name.encode(), b"labels": y, b"data": data,
                 b"filenames": [f"img_{i}.png".encode() for i in range(n_per_batch)]}
        batches[name] = pickle.dumps(batch, protocol=2)
        images.append(x)
        labels.append(np.array(y, np.uint8))
    meta = pickle.dumps({b"label_names": [c.encode() for c in cifar10.class_names], b"num_vis": 3072}, protocol=2)
    batches["batches.meta"] = meta
    return batches, images, labels


def _check(arrays, images, labels):
    (x_train, y_train), (x_test, y_test) = arrays
    assert np.array_equal(x_train, np.concatenate(images[:5]))
    assert np.array_equal(y_train.ravel(), np.concatenate(labels[:5]))
    assert np.array_equal(x_test, images[5]) and np.array_equal(y_test.ravel(), labels[5])
    assert x_train.flags.c_contiguous and x_train.dtype == np.uint8


def test_official_pickles_from_folder_and_tarball(tmp_path, monkeypatch, cache):
    batches, images, labels = _official_batches(np.random.default_rng(0))
    folder = tmp_path / "extracted" / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, raw in batches.items():
        (folder / name).write_bytes(raw)
    keras_style = cifar10.load_data(data_dir=tmp_path / "extracted", download=False)
    _check(keras_style, images, labels)
    assert keras_style[0][1].shape == (len(keras_style[0][0]), 1)  # Keras' (N, 1) labels

    tar_root = tmp_path / "tar" / "cifar10"
    tar_root.mkdir(parents=True)
    tarball = tar_root / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, raw in batches.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    md5 = hashlib.md5(tarball.read_bytes()).hexdigest()
    monkeypatch.setattr(cifar, "CIFAR10", cifar.RemoteFile(tarball.name, ("http://127.0.0.1:9/",), md5=md5))
    _check(cifar.load_data(data_dir=tmp_path / "tar", download=False), images, labels)

    tarball.write_bytes(tarball.read_bytes()[:300])  # truncated tarball: named in the error
    with pytest.raises(DataFileError, match="cifar-10-python.tar.gz"):
        cifar.load_data(data_dir=tmp_path / "tar", download=False)


def test_cifar100_fine_and_coarse_from_folder(tmp_path, cache):
    rng = np.random.default_rng(1)
    folder = tmp_path / "cifar100" / "cifar-100-python"
    folder.mkdir(parents=True)
    x = {s: rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8) for s in ("train", "test")}
    for split in ("train", "test"):
        data = x[split].transpose(0, 3, 1, 2).reshape(4, 3072)
        batch = {b"data": data, b"fine_labels": [99, 0, 5, 7], b"coarse_labels": [19, 0, 1, 2]}
        (folder / split).write_bytes(pickle.dumps(batch, protocol=2))
    (xf, yf), _ = cifar100.load_data("fine", data_dir=tmp_path, download=False)
    (_, yc), (xt, _) = cifar100.load_data("coarse", data_dir=tmp_path, download=False)
    assert np.array_equal(xf, x["train"]) and np.array_equal(xt, x["test"])
    assert yf.tolist() == [[99], [0], [5], [7]] and yc.tolist() == [[19], [0], [1], [2]]  # (N, 1), as Keras
    assert len(cifar100.class_names) == 100 and len(cifar100.coarse_class_names) == 20


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused(tmp_path, cache):
    marker = tmp_path / "pwned"
    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": _Exploit(marker), b"labels": []}, protocol=2))
    with pytest.raises(UnsafeFileError, match="data_batch_1") as info:
        cifar10.load_data(data_dir=tmp_path, download=False)
    assert "system" in str(info.value)
    assert not marker.exists()
    with pytest.raises(UnsafeFileError):
        cifar.safe_load_pickle(pickle.dumps(np.array([object()], dtype=object)))
    with pytest.raises(UnsafeFileError, match="builtins.eval"):
        cifar.safe_load_pickle(b"cbuiltins\neval\n(S'1+1'\ntR.")


def test_safe_unpickler_admits_plain_data():
    obj = {b"a": [1, 2, b"x", "y"], "arr": np.arange(6, dtype=np.uint8).reshape(2, 3)}
    out = cifar.safe_load_pickle(pickle.dumps(obj, protocol=2))
    assert out[b"a"] == [1, 2, b"x", "y"] and np.array_equal(out["arr"], obj["arr"])
    with pytest.raises(DataFileError):
        cifar.safe_load_pickle(pickle.dumps(obj)[:-5])
