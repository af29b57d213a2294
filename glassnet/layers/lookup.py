"""``StringLookup`` and ``IntegerLookup``: map tokens to integer ids through a vocabulary (Keras' layers).

Index layout, as in Keras: the mask token (if any, 'int' mode only) at 0,
then ``num_oov_indices`` out-of-vocabulary slots, then the vocabulary, most
frequent first after :meth:`~IndexLookup.adapt`. Tokens are Python/NumPy
values and never enter torch; the ids come back as int64 tensors ('int') or
float32 vectors ('one_hot', 'multi_hot', 'count', 'tf_idf'). The vocabulary
is part of ``get_config()`` (plain JSON), so it saves and loads with the model.

With ``num_oov_indices > 1`` an unknown token goes to the slot given by a
CRC-32 hash of its text (Keras uses TensorFlow's FarmHash: the slot chosen
for a given token differs, the behaviour does not).

>>> lookup = StringLookup(vocabulary=['a', 'b', 'c'])
>>> lookup([['a', 'c'], ['d', 'b']]).tolist()
[[1, 3], [0, 2]]
>>> StringLookup(vocabulary=['a', 'b', 'c'], invert=True)([[1, 3]]).tolist()
[['a', 'c']]
"""

from __future__ import annotations

import collections
import math
import os
import zlib
from typing import Any, Iterable

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError, NotBuiltError
from glassnet.layers.base import Layer
from glassnet.layers.category_encoding import encode_categorical
from glassnet.symbolic import contains_symbolic

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def as_token_array(data: Any, kind: str = "string") -> np.ndarray:
    """Strings (str, bytes, lists, NumPy or pandas) as a NumPy object array of ``str``; integers as int64.

    >>> as_token_array(['a', b'b']).tolist()
    ['a', 'b']
    """
    if torch.is_tensor(data):
        data = data.detach().cpu().numpy()
    if hasattr(data, "to_numpy"):
        data = data.to_numpy()
    if isinstance(data, (str, bytes)):
        data = [data]
    array = np.asarray(data, dtype=object)
    if array.size and isinstance(array.reshape(-1)[0], (list, tuple, np.ndarray)):
        raise InvalidArgumentError("Token rows of different lengths: give a rectangular array (pad the rows, "
                                   "e.g. with the mask token) or one row at a time.")
    if kind == "int":
        return array.astype(np.int64)
    flat = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in array.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(array.shape)


def batches_of(data: Any, kind: str = "string") -> Iterable[np.ndarray]:
    """The input batches of ``adapt(data)``: one array, or each ``x`` (of ``(x, y)``) of a dataset/iterable.

    >>> [b.tolist() for b in batches_of(['a b', 'c'])]
    [['a b', 'c']]
    """
    if isinstance(data, (str, bytes, np.ndarray, list, tuple)) or torch.is_tensor(data) or hasattr(data, "to_numpy"):
        yield as_token_array(data, kind)
        return
    for batch in data:
        x = batch[0] if isinstance(batch, tuple) else batch
        yield as_token_array(x, kind)


class IndexLookup(Layer):
    """Shared machinery of :class:`StringLookup` and :class:`IntegerLookup` (Keras' ``IndexLookup``)."""

    _kind = "string"

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: Any = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        if output_mode not in OUTPUT_MODES:
            raise InvalidArgumentError(f"{where}: output_mode must be one of {OUTPUT_MODES}, not {output_mode!r}.")
        if invert and output_mode != "int":
            raise InvalidArgumentError(f"{where}(invert=True) maps ids back to tokens, so it needs "
                                       f"output_mode='int' (got {output_mode!r}).")
        if num_oov_indices < 0:
            raise InvalidArgumentError(f"{where}: num_oov_indices must be >= 0, not {num_oov_indices}.")
        if sparse:
            raise InvalidArgumentError(f"{where}(sparse=True) is not supported: glassnet returns dense tensors.")
        if pad_to_max_tokens and max_tokens is None:
            raise InvalidArgumentError(f"{where}(pad_to_max_tokens=True) needs max_tokens.")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode, self.pad_to_max_tokens = invert, output_mode, pad_to_max_tokens
        self._vocab: list = []
        self._index: dict = {}
        self._idf: np.ndarray | None = None
        if max_tokens is not None and max_tokens <= self._token_start():
            raise InvalidArgumentError(f"{where}: max_tokens={max_tokens} leaves no room for a vocabulary after "
                                       f"{self._token_start()} special index(es); raise it.")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ the vocabulary
    def _uses_mask(self) -> bool:
        return self.mask_token is not None and self.output_mode == "int"

    def _token_start(self) -> int:
        return int(self._uses_mask()) + self.num_oov_indices

    def _special_tokens(self) -> list:
        return ([self.mask_token] if self._uses_mask() else []) + [self.oov_token] * self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (a list, an array or a text file with one token a line); with
        output_mode='tf_idf' also ``idf_weights``, one per token.

        >>> lookup = StringLookup(); lookup.set_vocabulary(['x', 'y']); lookup.get_vocabulary()
        ['[UNK]', 'x', 'y']
        """
        where = type(self).__name__
        if isinstance(vocabulary, (str, os.PathLike)):
            with open(vocabulary, encoding="utf-8") as f:
                vocabulary = [line.rstrip("\n") for line in f]
        tokens = as_token_array(list(vocabulary), self._kind).tolist()
        special = self._special_tokens()
        if tokens[:len(special)] == special and special:  # a vocabulary that starts with the special tokens
            tokens = tokens[len(special):]
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise InvalidArgumentError(f"{where}: the vocabulary repeats {repeated[:5]}; each token must appear "
                                       "once.")
        for token in (self.mask_token, self.oov_token):
            if token is not None and token in tokens:
                raise InvalidArgumentError(f"{where}: the vocabulary contains the reserved token {token!r} "
                                           "(mask or OOV) after the start; remove it.")
        if self.max_tokens is not None and len(tokens) + self._token_start() > self.max_tokens:
            raise InvalidArgumentError(f"{where}: a vocabulary of {len(tokens)} tokens plus "
                                       f"{self._token_start()} special index(es) exceeds max_tokens="
                                       f"{self.max_tokens}.")
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise InvalidArgumentError(f"{where}(output_mode='tf_idf'): give idf_weights with the vocabulary "
                                           "(one per token), or call adapt(data) instead.")
            idf = np.asarray(idf_weights, dtype=np.float32).reshape(-1)
            if len(idf) != len(tokens):
                raise InvalidArgumentError(f"{where}: {len(idf)} idf_weights for {len(tokens)} tokens; give one "
                                           "each.")
            self._idf = idf
        elif idf_weights is not None:
            raise InvalidArgumentError(f"{where}: idf_weights only make sense with output_mode='tf_idf'.")
        self._vocab = tokens
        start = self._token_start()
        self._index = {token: start + i for i, token in enumerate(tokens)}

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Build the vocabulary from ``data``: tokens sorted by frequency (ties: Keras' order), at most
        ``max_tokens`` indices in all; an array, a list, or a dataset / iterable of batches.

        >>> lookup = StringLookup(); lookup.adapt([['b', 'a', 'b']]); lookup.get_vocabulary()
        ['[UNK]', 'b', 'a']
        """
        counts: collections.Counter = collections.Counter()
        documents: collections.Counter = collections.Counter()
        n_documents = 0
        for step, batch in enumerate(batches_of(data, self._kind)):
            if steps is not None and step >= steps:
                break
            rows = batch.reshape(len(batch), -1) if batch.ndim > 1 else batch.reshape(-1, 1)
            for row in rows:
                tokens = [t for t in row.tolist() if t != self.mask_token]
                counts.update(tokens)
                documents.update(set(tokens))
            n_documents += len(rows)
        self._set_counts(counts, documents, n_documents)

    def _set_counts(self, counts: collections.Counter, documents: collections.Counter, n_documents: int) -> None:
        for token in (self.mask_token, self.oov_token):
            counts.pop(token, None)
        ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)  # Keras: count, then token
        if self.max_tokens is not None:
            ordered = ordered[:self.max_tokens - self._token_start()]
        tokens = [token for token, _ in ordered]
        idf = None
        if self.output_mode == "tf_idf":
            idf = [math.log(1 + n_documents / (1 + documents[t])) for t in tokens]
        self.set_vocabulary(tokens, idf)

    def get_vocabulary(self, include_special_tokens: bool = True) -> list:
        """The tokens by index: mask, OOV slot(s), then the vocabulary (Keras' order)."""
        return (self._special_tokens() if include_special_tokens else []) + list(self._vocab)

    def vocabulary_size(self) -> int:
        """Number of indices, special ones included."""
        return self._token_start() + len(self._vocab)

    @property
    def idf_weights(self) -> np.ndarray | None:
        """The tf-idf weight of each index (OOV slots: the mean weight, as Keras), or None."""
        if self._idf is None:
            return None
        mean = float(self._idf.mean()) if len(self._idf) else 0.0
        return np.concatenate([np.full(self._token_start(), mean, np.float32), self._idf])

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs, *args, **kwargs):
        if contains_symbolic((inputs,)):
            return super().__call__(inputs, *args, **kwargs)
        return torch.nn.Module.__call__(self, inputs, *args, **kwargs)

    def _check_ready(self) -> None:
        if not self._vocab and self.num_oov_indices == 0:
            raise NotBuiltError(f"{type(self).__name__} '{self.name}' has no vocabulary yet. Pass vocabulary=... "
                                "or call adapt(data) first.")

    def _oov_index(self, token: Any) -> int:
        if self.num_oov_indices == 0:
            raise InvalidArgumentError(f"{type(self).__name__} '{self.name}': {token!r} is not in the vocabulary "
                                       "and num_oov_indices=0 leaves no slot for unknown tokens. Set "
                                       "num_oov_indices=1, or add the token to the vocabulary.")
        start = int(self._uses_mask())
        if self.num_oov_indices == 1:
            return start
        return start + zlib.crc32(str(token).encode("utf-8")) % self.num_oov_indices

    def lookup_ids(self, tokens: np.ndarray) -> np.ndarray:
        """int64 ids of a token array (any shape); a dropped mask token is -1 in non-'int' modes."""
        mask = self.mask_token
        drop = -1 if self.output_mode != "int" else 0
        flat = [drop if (mask is not None and t == mask) else self._index.get(t) for t in tokens.reshape(-1).tolist()]
        ids = [self._oov_index(t) if i is None else i for i, t in zip(flat, tokens.reshape(-1).tolist())]
        return np.asarray(ids, dtype=np.int64).reshape(tokens.shape)

    def depth(self) -> int:
        """Length of the vectors of the non-'int' output modes."""
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def encode(self, ids: np.ndarray) -> torch.Tensor:
        """Ids in this layer's output mode (int64 ids, or float32 one-hot/multi-hot/count/tf-idf vectors)."""
        if self.output_mode == "int":
            return torch.from_numpy(np.ascontiguousarray(ids))
        weights = None
        if self.output_mode == "tf_idf":
            weights = torch.zeros(self.depth())
            weights[:self.vocabulary_size()] = torch.from_numpy(self.idf_weights)
        return encode_categorical(ids, self.depth(), self.output_mode, weights, where=type(self).__name__)

    def call(self, inputs):
        self._check_ready()
        if self.invert:
            return self._invert(inputs)
        return self.encode(self.lookup_ids(as_token_array(inputs, self._kind)))

    def _invert(self, inputs) -> np.ndarray:
        ids = np.asarray(inputs.detach().cpu() if torch.is_tensor(inputs) else inputs, dtype=np.int64)
        vocabulary = self.get_vocabulary()
        size = len(vocabulary)
        if ids.size and (ids.min() < 0 or ids.max() >= size):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise InvalidArgumentError(f"{type(self).__name__} '{self.name}' (invert=True): id {bad} is outside "
                                       f"the vocabulary's 0..{size - 1}.")
        table = np.empty(size, dtype=np.int64 if self._kind == "int" else object)
        table[:] = vocabulary
        return table[ids]

    def get_config(self) -> dict:
        config = super().get_config()
        config["vocabulary"] = list(self._vocab) if self._vocab else config.get("vocabulary")
        config["idf_weights"] = self._idf.tolist() if self._idf is not None else None
        return config


class StringLookup(IndexLookup):
    """Strings -> integer ids (Keras' ``StringLookup``): mask_token None, oov_token '[UNK]' by default.

    >>> lookup = StringLookup(output_mode='multi_hot')
    >>> lookup.adapt([['cat', 'dog', 'cat'], ['fish', 'cat', 'dog']])
    >>> lookup.get_vocabulary()
    ['[UNK]', 'cat', 'dog', 'fish']
    >>> lookup([['dog', 'bird']]).tolist()
    [[1.0, 0.0, 1.0, 0.0]]
    """

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: str | None = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False,
                 encoding: str = "utf-8", **kwargs):
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, **kwargs)


class IntegerLookup(IndexLookup):
    """Integers (e.g. raw category codes) -> contiguous ids (Keras' ``IntegerLookup``); oov_token -1.

    >>> lookup = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> lookup([[12, 1138], [42, 1000]]).tolist()
    [[1, 3], [4, 0]]
    >>> IntegerLookup(vocabulary=[12, 36], invert=True)([[2, 0]]).tolist()
    [[36, -1]]
    """

    _kind = "int"

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: int | None = None,
                 oov_token: int = -1, vocabulary: Any = None, vocabulary_dtype: str = "int64",
                 idf_weights: Any = None, invert: bool = False, output_mode: str = "int",
                 pad_to_max_tokens: bool = False, sparse: bool = False, **kwargs):
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, **kwargs)


__all__ = ["StringLookup", "IntegerLookup", "IndexLookup", "as_token_array"]
