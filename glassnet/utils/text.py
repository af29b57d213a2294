"""The course's one-hot word encoding: a dictionary starting with an end-of-sentence token.

Each word becomes a vector as long as the dictionary, all zeros except a 1 at
the word's position; a sentence is the sequence of its words' vectors followed
by the vector of ``'EOS'``. The same encoding, as layers: a
``StringLookup(vocabulary=dictionary, num_oov_indices=0, output_mode='one_hot')``.

>>> vectors, dictionary = one_hot_words('My cat sleeps', vocabulary=['EOS', 'a', 'cat', 'my', 'sleeps'])
>>> vectors.astype(int).tolist()
[[0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from glassnet.errors import LabelError
from glassnet.layers.text_vectorization import split_text, standardize_text


def one_hot_words(sentences: str | Sequence[str], vocabulary: Sequence[str] | None = None, eos: str = "EOS",
                  standardize: str | Callable | None = "lower_and_strip_punctuation",
                  ) -> tuple[np.ndarray, list[str]]:
    """One-hot vectors of each word plus a final ``eos``: ``(vectors, dictionary)``.

    One sentence gives (words + 1, len(dictionary)); a list gives (N, longest + 1,
    len(dictionary)), shorter sentences padded with zero vectors after their EOS.
    Without ``vocabulary`` the dictionary is ``[eos]`` + the sentences' words
    in alphabetical order.

    >>> _, dictionary = one_hot_words(['a dog sleeps', 'my cat sleeps'])
    >>> dictionary
    ['EOS', 'a', 'cat', 'dog', 'my', 'sleeps']
    """
    single = isinstance(sentences, str)
    words = [split_text(standardize_text(s, standardize)) for s in ([sentences] if single else sentences)]
    if vocabulary is None:
        vocabulary = [eos] + sorted({w for sentence in words for w in sentence} - {eos})
    vocabulary = list(vocabulary)
    if eos not in vocabulary:
        raise LabelError(f"one_hot_words: the dictionary has no end-of-sentence token {eos!r}; add it (the course "
                         "puts it first).")
    index = {w: i for i, w in enumerate(vocabulary)}
    missing = sorted({w for sentence in words for w in sentence if w not in index})
    if missing:
        raise LabelError(f"one_hot_words: {missing[:10]} are not in the dictionary; add them or leave "
                         "vocabulary=None to build it from the sentences.")
    out = np.zeros((len(words), max(len(s) for s in words) + 1 if words else 1, len(vocabulary)), np.float32)
    for n, sentence in enumerate(words):
        for t, word in enumerate(sentence + [eos]):
            out[n, t, index[word]] = 1.0
    return (out[0] if single else out), vocabulary


__all__ = ["one_hot_words"]
