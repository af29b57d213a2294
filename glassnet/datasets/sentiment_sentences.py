"""Sentiment Labelled Sentences (UCI): 3,000 one-line reviews from IMDB, Amazon and Yelp, labelled 1/0.

Kotzias, Denil, de Freitas, Smyth, "From Group to Individual Labels using Deep
Features", KDD 2015; CC BY 4.0. Files: ``<GLASSNET_DATA>/text/sentiment/``,
three ``sentence<TAB>label`` files of 1,000 lines (500 positive, 500 negative).

>>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
>>> len(x_train), len(x_test), x_train[0]  # doctest: +SKIP
(2400, 600, '...')
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from glassnet.datasets.files import RemoteFile
from glassnet.datasets.local_files import require
from glassnet.datasets.split import split_indices
from glassnet.errors import DataFileError, InvalidArgumentError

SOURCE = "https://archive.ics.uci.edu/dataset/331/sentiment+labelled+sentences"
FILES = {  # source -> (file name, sha256)
    "imdb": ("imdb_labelled.txt", "aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d"),
    "amazon": ("amazon_cells_labelled.txt", "47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3"),
    "yelp": ("yelp_labelled.txt", "891088b9c7235e23fe2814285972f2df823fdc9ff37bf1e1904c7e8ae1001fbb"),
}
class_names: list[str] = ["negative", "positive"]


def load_sentences(sources: Sequence[str] = ("imdb", "amazon", "yelp"), data_dir: str | os.PathLike | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All sentences in file order: ``(sentences, labels, source)`` — str objects, int64 0/1, source names.

    >>> x, y, source = load_sentences(['yelp'])  # doctest: +SKIP
    >>> len(x), y.sum(), set(source)  # doctest: +SKIP
    (1000, 500, {'yelp'})
    """
    unknown = [s for s in sources if s not in FILES]
    if unknown or not sources:
        raise InvalidArgumentError(f"sentiment_sentences: unknown source(s) {unknown}; choose among {list(FILES)}.")
    texts, labels, origin = [], [], []
    for source in sources:
        name, sha256 = FILES[source]
        path = require("text/sentiment", RemoteFile(name, (SOURCE,), sha256=sha256), SOURCE, data_dir)
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):  # not splitlines: U+0085 in a review
            if not line.strip():
                continue
            sentence, _, label = line.rstrip().rpartition("\t")
            if label not in ("0", "1") or not sentence:
                raise DataFileError(f"{path}, line {number}: expected 'sentence<TAB>0 or 1', got {line[:60]!r}.")
            texts.append(sentence.strip())
            labels.append(int(label))
            origin.append(source)
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int64), np.array(origin, dtype=object)


def load_data(test_split: float = 0.2, seed: int = 113, sources: Sequence[str] = ("imdb", "amazon", "yelp"),
              data_dir: str | os.PathLike | None = None,
              ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: sentences (str objects) and labels (int64, 1 positive),
    a seeded split stratified by label and source (``test_split`` of each file held out).

    >>> (x_train, y_train), (x_test, y_test) = load_data(test_split=0.25)  # doctest: +SKIP
    >>> len(x_test)  # doctest: +SKIP
    750
    """
    if not 0 < test_split < 1:
        raise InvalidArgumentError(f"sentiment_sentences.load_data: test_split must be between 0 and 1, not "
                                   f"{test_split}.")
    x, y, origin = load_sentences(sources, data_dir)
    strata = np.array([f"{s}{label}" for s, label in zip(origin, y)])
    train, _, test = split_indices(len(x), strata, fractions=(1 - test_split, 0.0, test_split), seed=seed)
    return (x[train], y[train]), (x[test], y[test])


__all__ = ["load_data", "load_sentences", "class_names"]
