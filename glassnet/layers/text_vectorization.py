"""``TextVectorization``: raw sentences -> token ids or bag-of-words vectors (Keras' layer).

Each string is standardized (lower case, punctuation stripped), split into
tokens (words or characters), optionally extended with n-grams, then looked up
in a vocabulary learned by :meth:`TextVectorization.adapt` (most frequent
first; index 0 is the padding ``''`` and 1 the unknown ``'[UNK]'``, as in
Keras). Strings stay in Python: the layer takes a list / NumPy array of
strings and returns tensors, so it belongs in the data pipeline
(``dataset.map(lambda x, y: (vectorize(x), y))``), which is also what Keras
recommends on its non-TensorFlow backends. A callable ``standardize`` takes and
returns one Python string; a callable ``split`` takes a string and returns its
tokens.

>>> vectorize = TextVectorization(output_sequence_length=4)
>>> vectorize.adapt(['The cat sat.', 'The dog sat on the cat!'])
>>> vectorize.get_vocabulary()
['', '[UNK]', 'the', 'sat', 'cat', 'on', 'dog']
>>> vectorize(['the bird sat']).tolist()
[[2, 1, 3, 0]]
"""

from __future__ import annotations

import collections
import re
from typing import Any, Callable

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError
from glassnet.layers.base import Layer
from glassnet.layers.lookup import StringLookup, as_token_array, batches_of
from glassnet.symbolic import contains_symbolic

STRIP_PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'  # Keras' DEFAULT_STRIP_REGEX
_STRIP = re.compile(STRIP_PUNCTUATION)
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


def standardize_text(text: str, standardize: str | Callable | None = "lower_and_strip_punctuation") -> str:
    """One string standardized the Keras way.

    >>> standardize_text("Don't STOP!")
    'dont stop'
    """
    if standardize is None:
        return text
    if callable(standardize):
        return standardize(text)
    if standardize in ("lower", "lower_and_strip_punctuation"):
        text = text.lower()
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        text = _STRIP.sub("", text)
    return text


def split_text(text: str, split: str | Callable | None = "whitespace") -> list[str]:
    """Tokens of one string: words ('whitespace'), characters ('character'), the whole string (None).

    >>> split_text('to be', 'character')
    ['t', 'o', ' ', 'b', 'e']
    """
    if split is None:
        return [text]
    if callable(split):
        return list(split(text))
    return text.split() if split == "whitespace" else list(text)


def ngrams_of(tokens: list[str], ngrams: int | tuple | None) -> list[str]:
    """The tokens' n-grams joined by a space, all 1-grams first then 2-grams... (Keras' order).

    >>> ngrams_of(['a', 'b', 'c'], 2)
    ['a', 'b', 'c', 'a b', 'b c']
    """
    if ngrams is None:
        return tokens
    sizes = range(1, ngrams + 1) if isinstance(ngrams, int) else ngrams
    return [" ".join(tokens[i:i + n]) for n in sizes for i in range(len(tokens) - n + 1)]


class TextVectorization(Layer):
    """Keras' ``TextVectorization``: strings -> int64 token ids (N, length) or float32 vectors (N, depth).

    ``output_mode``: 'int' (ids, padded with 0 to ``output_sequence_length`` or
    to the longest text of the batch), 'multi_hot', 'count' or 'tf_idf' (one
    vector per text over the vocabulary; index 0 is '[UNK]').
    ``max_tokens`` bounds the vocabulary, special indices included.

    >>> bag = TextVectorization(output_mode='count')
    >>> bag.adapt(['a b b', 'b c'])
    >>> bag.get_vocabulary()  # most frequent first; ties in Keras' (reverse alphabetical) order
    ['[UNK]', 'b', 'c', 'a']
    >>> bag(['b b a z']).tolist()
    [[1.0, 2.0, 0.0, 1.0]]
    """

    def __init__(self, max_tokens: int | None = None, standardize: str | Callable | None = "lower_and_strip_punctuation",
                 split: str | Callable | None = "whitespace", ngrams: int | tuple | None = None,
                 output_mode: str = "int", output_sequence_length: int | None = None,
                 pad_to_max_tokens: bool = False, vocabulary: Any = None, idf_weights: Any = None,
                 sparse: bool = False, ragged: bool = False, encoding: str = "utf-8", **kwargs):
        super().__init__(**kwargs)
        if not (standardize is None or callable(standardize) or standardize in STANDARDIZE):
            raise InvalidArgumentError(f"TextVectorization: standardize must be one of {STANDARDIZE}, None or a "
                                       f"function of one string, not {standardize!r}.")
        if not (split is None or callable(split) or split in SPLIT):
            raise InvalidArgumentError(f"TextVectorization: split must be 'whitespace', 'character', None or a "
                                       f"function, not {split!r}.")
        if ngrams is not None and split is None:
            raise InvalidArgumentError("TextVectorization: ngrams need split (the tokens to combine); set "
                                       "split='whitespace' or ngrams=None.")
        if ngrams is not None and not (isinstance(ngrams, int) and ngrams >= 1
                                       or isinstance(ngrams, (tuple, list)) and all(int(n) >= 1 for n in ngrams)):
            raise InvalidArgumentError(f"TextVectorization: ngrams must be an int >= 1 or a tuple of them, not "
                                       f"{ngrams!r}.")
        if output_sequence_length is not None and output_mode != "int":
            raise InvalidArgumentError("TextVectorization: output_sequence_length only applies to "
                                       f"output_mode='int' (got {output_mode!r}).")
        if ragged:
            raise InvalidArgumentError("TextVectorization(ragged=True) is not supported: glassnet pads each batch "
                                       "(to output_sequence_length or the longest text). Leave ragged=False.")
        self.standardize, self.split = standardize, split
        self.ngrams = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.lookup = StringLookup(max_tokens=max_tokens, mask_token="" if output_mode == "int" else None,
                                   output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens,
                                   vocabulary=vocabulary, idf_weights=idf_weights, name=f"{self.name}_lookup")

    def tokenize(self, texts: Any) -> list[list[str]]:
        """The tokens of each text after standardize, split and ngrams.

        >>> TextVectorization(ngrams=2).tokenize(['A b!'])
        [['a', 'b', 'a b']]
        """
        array = as_token_array(texts)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim > 1:
            raise InvalidArgumentError(f"TextVectorization '{self.name}' takes one string per sample (shape (N,) "
                                       f"or (N, 1)); got shape {array.shape}.")
        return [ngrams_of(split_text(standardize_text(t, self.standardize), self.split), self.ngrams)
                for t in array.reshape(-1).tolist()]

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and tf-idf weights) from texts: a list / array, or a dataset of batches."""
        counts: collections.Counter = collections.Counter()
        documents: collections.Counter = collections.Counter()
        n_documents = 0
        for step, batch in enumerate(batches_of(data)):
            if steps is not None and step >= steps:
                break
            for tokens in self.tokenize(batch):
                counts.update(tokens)
                documents.update(set(tokens))
                n_documents += 1
        counts.pop("", None)
        self.lookup._set_counts(counts, documents, n_documents)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """Tokens by index: '' (padding, 'int' mode) and '[UNK]', then the vocabulary by frequency."""
        return self.lookup.get_vocabulary(include_special_tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use a given vocabulary (list or file) instead of adapting."""
        self.lookup.set_vocabulary(vocabulary, idf_weights)

    def vocabulary_size(self) -> int:
        """Number of indices, padding and '[UNK]' included."""
        return self.lookup.vocabulary_size()

    def __call__(self, inputs, *args, **kwargs):
        if contains_symbolic((inputs,)):
            return super().__call__(inputs, *args, **kwargs)
        return torch.nn.Module.__call__(self, inputs, *args, **kwargs)

    def call(self, inputs):
        tokens = self.tokenize(inputs)
        if self.output_mode != "int":
            ids = np.full((len(tokens), max((len(t) for t in tokens), default=0)), -1, dtype=np.int64)
            for i, row in enumerate(tokens):  # -1 pads: encode_categorical leaves them out
                ids[i, :len(row)] = self.lookup.lookup_ids(as_token_array(row)) if row else []
            return self.lookup.encode(ids)
        length = self.output_sequence_length
        if length is None:
            length = max((len(t) for t in tokens), default=0)
        ids = np.zeros((len(tokens), length), dtype=np.int64)
        for i, row in enumerate(tokens):
            row = row[:length]
            if row:
                ids[i, :len(row)] = self.lookup.lookup_ids(as_token_array(row))
        return torch.from_numpy(ids)

    def get_config(self) -> dict:
        try:
            config = super().get_config()
        except TypeError as err:  # a standardize / split function that is not registered by name
            raise InvalidArgumentError(
                f"TextVectorization '{self.name}': its standardize/split function cannot be saved as JSON. Use a "
                "built-in mode, register the function with @glassnet.saving.register_keras_serializable(), or "
                "rebuild the layer with your function after loading.") from err
        lookup = self.lookup.get_config()
        config["vocabulary"], config["idf_weights"] = lookup["vocabulary"], lookup["idf_weights"]
        if isinstance(config.get("ngrams"), tuple):
            config["ngrams"] = list(config["ngrams"])
        return config


__all__ = ["TextVectorization", "standardize_text", "split_text", "ngrams_of", "STRIP_PUNCTUATION"]
