"""``pad_sequences``: make variable-length token lists one (N, maxlen) array, as Keras does.

>>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
[[2, 3], [0, 4]]
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def pad_sequences(sequences: Sequence[Sequence[Any]], maxlen: int | None = None, dtype: str = "int32",
                  padding: str = "pre", truncating: str = "pre", value: float = 0.0) -> np.ndarray:
    """Pad (or cut) every sequence to ``maxlen`` (the longest, by default): Keras' rules — padding and
    truncation at the start (``'pre'``) unless ``'post'`` is asked for.

    >>> pad_sequences([[1, 2], [3]], padding='post', value=-1).tolist()
    [[1, 2], [3, -1]]
    """
    for name, option in (("padding", padding), ("truncating", truncating)):
        if option not in ("pre", "post"):
            raise ValueError(f"pad_sequences({name}={option!r}): use 'pre' or 'post'.")
    arrays = [np.asarray(s) for s in sequences]
    lengths = [len(a) for a in arrays]
    maxlen = max(lengths, default=0) if maxlen is None else int(maxlen)
    sample_shape = next((a.shape[1:] for a in arrays if len(a)), ())
    out = np.full((len(arrays), maxlen, *sample_shape), value, dtype=dtype)
    for i, a in enumerate(arrays):
        if not len(a) or not maxlen:
            continue
        kept = a[-maxlen:] if truncating == "pre" else a[:maxlen]
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: sequence {i} has elements of shape {kept.shape[1:]}, the others "
                             f"{sample_shape}; all elements must have the same shape.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


__all__ = ["pad_sequences"]
