"""``CategoryEncoding``: integer category ids as one-hot, multi-hot or count vectors (Keras' layer).

>>> CategoryEncoding(4, output_mode='one_hot')(torch.tensor([3, 0])).tolist()
[[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
>>> CategoryEncoding(4)(torch.tensor([[0, 1], [1, 1]])).tolist()
[[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.layers.base import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encode_categorical(ids: Any, depth: int, output_mode: str, weights: torch.Tensor | None = None,
                       where: str = "CategoryEncoding") -> torch.Tensor:
    """Keras' rules for turning integer ids into vectors of length ``depth``.

    'one_hot': each id becomes a row (a last axis of size 1 is replaced);
    'multi_hot' / 'count' / 'tf_idf': each row of a rank-2 input (a rank-1
    input is one sample) becomes one vector marking / counting its ids;
    'tf_idf' multiplies the counts by ``weights``. Negative ids (dropped mask
    tokens) are ignored.

    >>> encode_categorical([[1, 1, 2]], 3, 'count').tolist()
    [[0.0, 2.0, 1.0]]
    """
    ids = torch.as_tensor(np.asarray(ids) if not torch.is_tensor(ids) else ids).long()
    if ids.numel() and int(ids.max()) >= depth:
        raise InvalidArgumentError(
            f"{where}: id {int(ids.max())} is out of range for num_tokens={depth} (ids must be 0..{depth - 1}). "
            "Raise num_tokens, or map the ids into that range first.")
    if output_mode == "one_hot":
        if ids.dim() and ids.shape[-1] == 1:
            ids = ids[..., 0]
        if ids.dim() > 1:
            raise ShapeError(f"{where}: one_hot takes ids of shape (batch,) or (batch, 1), not {tuple(ids.shape)}; "
                             "use output_mode='multi_hot' for several ids per sample.")
        return torch.nn.functional.one_hot(ids.clamp(min=0), depth).float() * (ids >= 0).unsqueeze(-1)
    if ids.dim() > 2:
        raise ShapeError(f"{where}: {output_mode} takes ids of shape (batch, ids) or (ids,), not {tuple(ids.shape)}.")
    single = ids.dim() <= 1
    rows = ids.reshape(1, -1) if single else ids
    counts = torch.zeros(rows.shape[0], depth + 1)
    counts.scatter_add_(1, torch.where(rows < 0, depth, rows), torch.ones(rows.shape))  # column `depth`: dropped
    counts = counts[:, :depth]
    if output_mode == "multi_hot":
        counts = (counts > 0).float()
    elif output_mode == "tf_idf":
        counts = counts * weights
    return counts[0] if single else counts


class CategoryEncoding(Layer):
    """Encode integer category ids 0..num_tokens-1 (Keras' ``CategoryEncoding``).

    ``output_mode``: 'multi_hot' (default; a rank-2 input's row -> one vector
    with a 1 for each id present), 'one_hot' (one row per id), or 'count'
    (how many times each id occurs). Returns float32 tensors; ``count_weights``
    (same shape as the input) weight the counts.

    >>> CategoryEncoding(num_tokens=3, output_mode='count')([[0, 2, 2]]).tolist()
    [[1.0, 0.0, 2.0]]
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if num_tokens is None or int(num_tokens) < 1:
            raise InvalidArgumentError(f"CategoryEncoding needs num_tokens >= 1 (got {num_tokens}): the number of "
                                       "categories, ids 0..num_tokens-1.")
        if output_mode not in OUTPUT_MODES:
            raise InvalidArgumentError(f"CategoryEncoding: output_mode must be one of {OUTPUT_MODES}, "
                                       f"not {output_mode!r}.")
        if sparse:
            raise InvalidArgumentError("CategoryEncoding(sparse=True) is not supported: glassnet returns dense "
                                       "tensors. Leave sparse=False.")
        self.num_tokens, self.output_mode = int(num_tokens), output_mode

    def __call__(self, inputs, *args, **kwargs):
        if not torch.is_tensor(inputs) and not isinstance(inputs, (list, tuple, np.ndarray)):
            return super().__call__(inputs, *args, **kwargs)
        if not torch.is_tensor(inputs):
            inputs = torch.as_tensor(np.asarray(inputs))
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, count_weights=None):
        ids = inputs
        if ids.is_floating_point():
            if not torch.equal(ids, ids.round()):
                raise InvalidArgumentError(f"CategoryEncoding '{self.name}' takes integer ids; got fractional "
                                           "values. Round or cast the ids to integers first.")
        if ids.numel() and int(ids.min()) < 0:
            raise InvalidArgumentError(f"CategoryEncoding '{self.name}': id {int(ids.min())} is negative; ids "
                                       f"must be 0..{self.num_tokens - 1}.")
        out = encode_categorical(ids.cpu(), self.num_tokens, self.output_mode, where=f"CategoryEncoding "
                                 f"'{self.name}'")
        if count_weights is not None:
            if self.output_mode != "count":
                raise InvalidArgumentError("count_weights only works with output_mode='count'.")
            weights = torch.as_tensor(count_weights, dtype=torch.float32).reshape(ids.shape)
            rows = ids.reshape(1, -1) if ids.dim() <= 1 else ids
            out = torch.zeros(rows.shape[0], self.num_tokens).scatter_add_(1, rows.long().cpu(),
                                                                          weights.reshape(rows.shape))
            out = out[0] if ids.dim() <= 1 else out
        return out.to(inputs.device)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "one_hot" and input_shape[-1] != 1:
            return (*input_shape, self.num_tokens)
        return (*input_shape[:-1], self.num_tokens)


__all__ = ["CategoryEncoding", "encode_categorical"]
