"""Embedding: turn integer token ids into learned dense vectors.

The table is ``weight`` of shape (input_dim, output_dim), like ``nn.Embedding``.

>>> import torch
>>> Embedding(1000, 64)(torch.tensor([[1, 2, 3]])).shape
torch.Size([1, 3, 64])
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from glassnet import constraints, initializers, regularizers
from glassnet.layers.base import Layer

_KERAS_ALIASES = {"uniform": initializers.RandomUniform, "normal": initializers.RandomNormal}


class Embedding(Layer):
    """Look up row ``i`` of a (input_dim, output_dim) table for each token id ``i``.

    ``embeddings_regularizer`` / ``embeddings_constraint`` work as in Keras (the
    table has the same layout in Keras and torch). Ids must lie in [0, input_dim). Float inputs (e.g. from a float ``Input``) are
    cast to integers. ``mask_zero=True`` marks id 0 as padding
    (see :meth:`compute_mask`). ``input_length`` (Keras 2) is accepted and ignored.

    >>> import torch
    >>> layer = Embedding(10, 4)
    >>> layer.count_params()
    40
    >>> bool((layer.weight.abs() <= 0.05).all())  # Keras' default: uniform in ±0.05
    True
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None,
                 mask_zero: bool = False, input_length: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        if self.input_dim <= 0 or self.output_dim <= 0:
            raise ValueError(f"Embedding({input_dim}, {output_dim}): both sizes must be positive.")
        if isinstance(embeddings_initializer, str) and embeddings_initializer.lower() in _KERAS_ALIASES:
            embeddings_initializer = _KERAS_ALIASES[embeddings_initializer.lower()]()
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.weight = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer, name="weight",
                                      regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        ids = inputs if inputs.dtype in (torch.int64, torch.int32) else inputs.long()
        if torch.compiler.is_compiling():
            return F.embedding(ids, self.weight)
        try:  # torch checks the ids on the CPU (free: no extra pass per step); its message names no ids
            return F.embedding(ids, self.weight)
        except IndexError as err:
            raise IndexError(f"Embedding '{self.name}': token ids must lie in [0, {self.input_dim}), got ids from "
                             f"{int(ids.min())} to {int(ids.max())}. Increase input_dim or fix the "
                             "tokenizer.") from err

    def compute_mask(self, inputs, mask=None):
        """True where the id is not padding (0), when ``mask_zero``; else None.

        >>> import torch
        >>> Embedding(5, 2, mask_zero=True).compute_mask(torch.tensor([[3, 0]])).tolist()
        [[True, False]]
        """
        return inputs != 0 if self.mask_zero else None


__all__ = ["Embedding"]
