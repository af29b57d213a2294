"""Symbolic tensors: how the functional API records a graph of layer calls.

``Input(shape=(784,))`` returns a :class:`SymbolicTensor`. Calling a layer on
symbolic tensors runs it once on a small example (batch of one, in inference
mode) — which builds its weights and gives the output shape — and records a
:class:`Node`. ``Model(inputs, outputs)`` then walks the nodes back from the
outputs. No shape arithmetic is written per layer: the real layer computes it.

>>> import torch
>>> from glassnet import Input
>>> from glassnet.layers import Dense
>>> Dense(10)(Input(shape=(784,))).shape
(None, 10)
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet import config, layout

_ids = itertools.count()


class Node:
    """One call of ``layer`` on symbolic ``args``; ``outputs`` holds what it returned."""

    def __init__(self, layer, args: tuple, kwargs: dict):
        self.layer, self.args, self.kwargs = layer, args, kwargs
        self.outputs: Any = None

    @property
    def parents(self) -> list["SymbolicTensor"]:
        """The symbolic tensors this call consumed."""
        leaves = pytree.tree_leaves((self.args, self.kwargs))
        return [leaf for leaf in leaves if isinstance(leaf, SymbolicTensor)]


class SymbolicTensor:
    """A placeholder for data flowing through a functional model being defined.

    ``shape`` is in the user's layout with ``None`` for the batch, like Keras.
    """

    def __init__(self, example: torch.Tensor, node: Node, data_format: str | None = None):
        self.example = example
        self.node = node
        self.id = next(_ids)
        self.data_format = data_format or config.image_data_format()

    @property
    def shape(self) -> tuple:
        """Shape in the user's layout, batch dimension None."""
        return (None, *layout.user_shape(tuple(self.example.shape), self.data_format)[1:])

    @property
    def dtype(self) -> torch.dtype:
        return self.example.dtype

    @property
    def ndim(self) -> int:
        return self.example.dim()

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape} from layer '{self.node.layer.name}'>"

    def __hash__(self):
        return self.id


def contains_symbolic(tree: Any) -> bool:
    """True if any leaf of ``tree`` is a :class:`SymbolicTensor`."""
    return any(isinstance(leaf, SymbolicTensor) for leaf in pytree.tree_leaves(tree))


def _example(value):
    return value.example if isinstance(value, SymbolicTensor) else value


def symbolic_call(layer, args: tuple, kwargs: dict):
    """Call ``layer`` on symbolic inputs: build it, record a Node, return symbolic outputs."""
    examples_args = pytree.tree_map(_example, args)
    examples_kwargs = pytree.tree_map(_example, kwargs)
    was_training = layer.training
    layer.eval()
    try:
        with torch.no_grad(), layout.inside_model():
            result = layer(*examples_args, **examples_kwargs)
    finally:
        layer.train(was_training)
    node = Node(layer, args, kwargs)
    node.outputs = pytree.tree_map(lambda t: SymbolicTensor(t, node) if torch.is_tensor(t) else t, result)
    return node.outputs
