"""The text and time-series datasets: real files (checksummed), IMDB from a local HTTP server, folders of .txt."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from tests.conftest import require_data
    from tests.test_datasets_download import server  # noqa: F401  (the local HTTP server fixture)
except ImportError:
    from conftest import require_data
    from test_datasets_download import server  # noqa: F401
from glassnet.datasets import airline_passengers, imdb, sentiment_sentences, shakespeare
from glassnet.datasets.text import text_dataset_from_directory
from glassnet.errors import DataFileError, InvalidArgumentError, UnsafeFileError


def test_sentiment_sentences_split_is_seeded_stratified_and_complete():
    require_data("text", "sentiment")
    (x_train, y_train), (x_test, y_test) = sentiment_sentences.load_data()
    assert (len(x_train), len(x_test)) == (2400, 600)
    assert y_train.sum() == 1200 and y_test.sum() == 300  # 500 + 500 per file, 20% of each held out
    assert len(set(x_train) | set(x_test)) >= 2950  # a few sentences occur twice in the corpus
    (again, _), _ = sentiment_sentences.load_data()
    assert list(again) == list(x_train)
    x, y, source = sentiment_sentences.load_sentences(["yelp"])
    assert len(x) == 1000 and y.sum() == 500 and set(source) == {"yelp"}
    assert x[0] == "Wow... Loved this place." and y[0] == 1


def test_shakespeare_and_airline_passengers():
    require_data("text", "tinyshakespeare.txt")
    text = shakespeare.load_data()
    assert len(text) == 1115394 and text.startswith("First Citizen:") and len(set(text)) == 65
    months, passengers = airline_passengers.load_data()
    assert len(months) == 144 and months[0] == "1949-01" and months[-1] == "1960-12"
    assert passengers[0] == 112 and passengers.max() == 622 and passengers.dtype == np.float32


def test_missing_and_corrupt_local_files_say_where_and_what(tmp_path):
    with pytest.raises(DataFileError, match=r"text/tinyshakespeare.txt is missing.*karpathy"):
        shakespeare.load_data(data_dir=tmp_path)
    (tmp_path / "timeseries").mkdir()
    (tmp_path / "timeseries" / "airline-passengers.csv").write_text('"Date","Count"\n"1949-01",1\n')
    with pytest.raises(DataFileError, match="corrupt"):
        airline_passengers.load_data(data_dir=tmp_path)
    with pytest.raises(InvalidArgumentError, match="unknown source"):
        sentiment_sentences.load_sentences(["twitter"])


def _fake_imdb() -> tuple[bytes, dict]:
    """An imdb.npz in Keras' format: object arrays of Python lists of word ranks, int labels."""
    rng = np.random.default_rng(0)
    def reviews(n):
        out = np.empty(n, dtype=object)
        out[:] = [[int(w) for w in rng.integers(1, 60, rng.integers(3, 30))] for _ in range(n)]
        return out
    arrays = dict(x_train=reviews(40), y_train=rng.integers(0, 2, 40), x_test=reviews(30),
                  y_test=rng.integers(0, 2, 30))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue(), arrays


def _keras_rules(arrays, num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2, index_from=3):
    """Keras 3's imdb.load_data steps, written out from its documentation, on the in-memory arrays."""
    rng = np.random.RandomState(seed)
    parts = []
    for part in ("train", "test"):
        order = np.arange(len(arrays[f"x_{part}"]))
        rng.shuffle(order)
        xs = [[start_char] + [w + index_from for w in s] for s in arrays[f"x_{part}"][order]]
        ys = arrays[f"y_{part}"][order]
        if maxlen:
            keep = [i for i, s in enumerate(xs) if len(s) < maxlen]
            xs, ys = [xs[i] for i in keep], ys[keep]
        parts.append((xs, ys))
    top = num_words or max(max(s) for s in parts[0][0] + parts[1][0])
    return [([[w if skip_top <= w < top else oov_char for w in s] for s in xs], ys) for xs, ys in parts]


@pytest.fixture
def imdb_server(server, monkeypatch):
    base, routes = server
    payload, arrays = _fake_imdb()
    digest = __import__("hashlib").sha256(payload).hexdigest()
    word_index = json.dumps({"the": 1, "and": 2, "film": 3}).encode()
    routes["/k/imdb.npz"] = ("ok", payload)
    routes["/k/imdb_word_index.json"] = ("ok", word_index)
    monkeypatch.setattr(imdb, "MIRRORS", (f"{base}/k/",))
    monkeypatch.setattr(imdb, "ARCHIVE", ("imdb.npz", digest))
    monkeypatch.setattr(imdb, "WORD_INDEX", ("imdb_word_index.json", __import__("hashlib").md5(word_index).hexdigest()))
    return arrays, routes


@pytest.mark.parametrize("kwargs", [dict(), dict(num_words=30, skip_top=4), dict(maxlen=20, seed=1),
                                    dict(num_words=25, oov_char=None, index_from=0, start_char=None)])
def test_imdb_downloads_once_and_follows_keras_rules(imdb_server, tmp_path, kwargs):
    arrays, routes = imdb_server
    (x_train, y_train), (x_test, y_test) = imdb.load_data(data_dir=tmp_path, **kwargs)
    assert (tmp_path / "imdb" / "imdb.npz").is_file()
    expected = _keras_rules(arrays, **kwargs) if kwargs.get("oov_char", 2) is not None else None
    if expected is not None:
        assert [list(s) for s in x_train] == expected[0][0] and y_train.tolist() == expected[0][1].tolist()
        assert [list(s) for s in x_test] == expected[1][0] and y_test.tolist() == expected[1][1].tolist()
    else:
        assert all(w < 25 for s in x_train for w in s)
    assert x_train.dtype == object and isinstance(x_train[0], list)
    assert imdb.get_word_index(data_dir=tmp_path) == {"the": 1, "and": 2, "film": 3}
    routes.clear()  # the second calls read the verified files, no network
    (again, _), _ = imdb.load_data(data_dir=tmp_path, **kwargs)
    assert list(again) == list(x_train) and imdb.get_word_index(data_dir=tmp_path)["film"] == 3


def test_imdb_refuses_pickled_code(tmp_path):
    class Gadget:
        def __reduce__(self):
            return (print, ("owned",))
    evil = np.empty(1, dtype=object)
    evil[0] = Gadget()
    buffer = io.BytesIO()
    np.savez(buffer, x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    path = tmp_path / "evil.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(UnsafeFileError, match="refusing to unpickle builtins.print"):
        imdb.read_npz(path)
    with zipfile.ZipFile(path) as archive:  # the gadget really is in the archive, as a pickle stream
        assert b"print" in archive.read("x_train.npy")


def test_imdb_missing_without_download_names_the_official_file(tmp_path):
    with pytest.raises(DataFileError, match=r"(?s)imdb.npz is missing.*tf-keras-datasets/imdb.npz, sha256 69664113"):
        imdb.load_data(data_dir=tmp_path, download=False)


def test_text_dataset_from_directory_labels_splits_and_truncates(tmp_path):
    for label, texts in {"neg": ["bad", "awful film", "poor"], "pos": ["good", "great film", "fine", "nice"]}.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(texts):
            (tmp_path / label / f"{i}.txt").write_text(text)
    (tmp_path / "pos" / "notes.md").write_text("not a review")
    ds = text_dataset_from_directory(tmp_path, batch_size=3, shuffle=False, max_length=4)
    x, y = ds.as_numpy()
    assert ds.class_names == ["neg", "pos"] and len(ds) == 3
    assert x.tolist() == ["bad", "awfu", "poor", "good", "grea", "fine", "nice"] and y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    train, val = text_dataset_from_directory(tmp_path, validation_split=0.3, subset="both", seed=3,
                                             label_mode="binary")
    xt, yt = train.as_numpy()
    xv, yv = val.as_numpy()
    assert len(xt) == 5 and len(xv) == 2 and sorted(list(xt) + list(xv)) == sorted(
        ["bad", "awful film", "poor", "good", "great film", "fine", "nice"])
    assert yt.shape == (5, 1) and yt.dtype == np.float32
    with pytest.raises(DataFileError, match=r"No files \(.txt\)"):
        text_dataset_from_directory(tmp_path / "neg")
