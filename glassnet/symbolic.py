"""Symbolic tensors: how the functional API records a graph of layer calls.

``Input(shape=(784,))`` returns a :class:`SymbolicTensor`. Calling a layer on
symbolic tensors runs it once on a small example (batch of one, in inference
mode) — which builds its weights and gives the output shape — and records a
:class:`Node`. ``Model(inputs, outputs)`` then walks the nodes back from the
outputs. No shape arithmetic is written per layer: the real layer computes it.

A ``None`` size (``Input(shape=(None, 8))``: any length) runs the example twice,
with two stand-in sizes; an output size that changes with them is shown as None.

Each layer remembers its calls, so ``layer.input`` / ``layer.output`` are the
symbolic tensors of its first call (Keras' introspection, used to build feature
extractors). Layers inside a subclassed model called on symbolic tensors get a
*tap* instead: their ``output`` is computed by running the model up to them.

>>> import torch
>>> from glassnet import Input
>>> from glassnet.layers import Dense
>>> Dense(10)(Input(shape=(784,))).shape
(None, 10)
>>> Dense(3)(Input(shape=(None, 5))).shape
(None, None, 3)
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet import config, layout
from glassnet.errors import NotBuiltError
from glassnet.modes import evaluating

_ids = itertools.count()

#: the sizes that stand in for a None dimension (sequences/images; volumes use the smaller pair)
NONE_SIZES, NONE_SIZES_3D = (96, 128), (24, 32)


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

    ``shape`` is in the user's layout with ``None`` for the batch (and for sizes that
    follow a None input size), like Keras. ``example`` is a one-sample tensor of that
    shape in internal layout; ``alt`` the same with the second stand-in size, if any.
    """

    def __init__(self, example: torch.Tensor, node: Node, data_format: str | None = None,
                 alt: torch.Tensor | None = None):
        self._example, self.alt = example, alt
        self.node = node
        self.id = next(_ids)
        self.data_format = data_format or config.image_data_format()

    @property
    def example(self) -> torch.Tensor:
        """A zero-filled sample (tensors of layers tapped inside a model keep only their shape)."""
        if self._example.is_meta:
            return torch.zeros(self._example.shape, dtype=self._example.dtype)
        return self._example

    @property
    def shape(self) -> tuple:
        """Shape in the user's layout, batch dimension None."""
        sizes = layout.user_shape(tuple(self._example.shape), self.data_format)[1:]
        if self.alt is None:
            return (None, *sizes)
        other = layout.user_shape(tuple(self.alt.shape), self.data_format)[1:]
        return (None, *(a if a == b else None for a, b in zip(sizes, other)))

    @property
    def dtype(self) -> torch.dtype:
        return self._example.dtype

    @property
    def ndim(self) -> int:
        return self._example.dim()

    def __repr__(self) -> str:
        name = getattr(self.node.layer, "name", type(self.node.layer).__name__)
        return f"<SymbolicTensor shape={self.shape} dtype={str(self.dtype).replace('torch.', '')} from '{name}'>"

    def __hash__(self):
        return self.id


def contains_symbolic(tree: Any) -> bool:
    """True if any leaf of ``tree`` is a :class:`SymbolicTensor`."""
    return any(isinstance(leaf, SymbolicTensor) for leaf in pytree.tree_leaves(tree))


def concrete_shape(shape: tuple, second: bool = False) -> tuple:
    """``shape`` (one sample, no batch) with each None replaced by a stand-in size.

    >>> concrete_shape((None, 8)), concrete_shape((None, 8), second=True)
    ((96, 8), (128, 8))
    """
    sizes = NONE_SIZES_3D if len(shape) >= 4 else NONE_SIZES
    return tuple(sizes[int(second)] if s is None else int(s) for s in shape)


def input_tensor(input_layer, device: torch.device | str | None = None) -> SymbolicTensor:
    """The symbolic tensor an ``InputLayer`` produces (its node is recorded on the layer);
    its example lives on ``device`` (default: the CPU)."""
    keep = not input_layer.input_dtype.is_floating_point

    def example(second: bool) -> torch.Tensor:
        batch = input_layer.batch_size or 1  # a declared batch size (Input(batch_shape=...)) is kept
        zeros = torch.zeros((batch, *concrete_shape(input_layer.shape, second)), dtype=input_layer.input_dtype,
                            device=device)
        return layout.to_internal(zeros, input_layer.data_format, keep_integer=keep)

    variable = any(s is None for s in input_layer.shape)
    node = Node(input_layer, (), {})
    node.outputs = SymbolicTensor(example(False), node, input_layer.data_format,
                                  alt=example(True) if variable else None)
    _record(input_layer, node)
    return node.outputs


def _example(value):
    return value.example if isinstance(value, SymbolicTensor) else value


def _alt_example(value):
    if not isinstance(value, SymbolicTensor) or value.alt is None:
        return _example(value)
    return torch.zeros(value.alt.shape, dtype=value.alt.dtype) if value.alt.is_meta else value.alt


def _run(layer, args: tuple, kwargs: dict, pick, taps: dict | None = None):
    """Run ``layer`` once on the examples ``pick`` takes from the symbolic arguments."""
    hooks = [] if taps is None else _tap_hooks(layer, taps)
    try:
        with evaluating(layer), torch.no_grad(), layout.internal_layout():
            return layer(*pytree.tree_map(pick, args), **pytree.tree_map(pick, kwargs))
    finally:
        for hook in hooks:
            hook.remove()


def symbolic_call(layer, args: tuple, kwargs: dict):
    """Call ``layer`` on symbolic inputs: build it, record a Node, return symbolic outputs."""
    taps: dict = {}
    result = _run(layer, args, kwargs, _example, taps if hasattr(layer, "get_layer") else None)
    variable = any(t.alt is not None for t in pytree.tree_leaves((args, kwargs)) if isinstance(t, SymbolicTensor))
    alt_taps: dict = {}
    alt = _run(layer, args, kwargs, _alt_example, alt_taps if taps else None) if variable else None
    node = Node(layer, args, kwargs)
    leaves, spec = pytree.tree_flatten(result)
    alt_leaves = pytree.tree_leaves(alt) if alt is not None else [None] * len(leaves)
    outputs = [SymbolicTensor(t, node, alt=a) if torch.is_tensor(t) else t for t, a in zip(leaves, alt_leaves)]
    node.outputs = pytree.tree_unflatten(outputs, spec)
    _record(layer, node)
    for path, (module, inputs, output) in taps.items():
        alt_input, alt_output = alt_taps.get(path, (None, None, None))[1:]
        module.__dict__.setdefault("_glassnet_taps", []).append(
            (node, path, inputs, output, alt_input, alt_output))
    return node.outputs


def _record(layer, node: Node) -> None:
    """Remember ``node`` on ``layer`` (Keras' inbound nodes): ``layer.output`` reads the first."""
    layer.__dict__.setdefault("_glassnet_nodes", []).append(node)


def _tap_hooks(model, taps: dict) -> list:
    """Forward hooks noting the input/output shape of each sublayer's first call, for layers
    that are not already part of a graph (those inside a subclassed model's ``call``)."""
    hooks = []
    for path, module in model.named_modules():
        if not path or module.__dict__.get("_glassnet_nodes"):
            continue

        def hook(mod, args, output, path=path):
            first = next((a for a in pytree.tree_leaves(args) if torch.is_tensor(a)), None)
            if path not in taps and torch.is_tensor(output) and first is not None:
                taps[path] = (mod, first.to("meta"), output.to("meta"))
        hooks.append(module.register_forward_hook(hook))
    return hooks


def layer_input(layer) -> Any:
    """``layer.input``: what the layer's first symbolic call consumed (Keras semantics).

    >>> from glassnet import Input
    >>> from glassnet.layers import Dense
    >>> x = Input(shape=(3,)); dense = Dense(2); y = dense(x)
    >>> dense.input is x, dense.output is y
    (True, True)
    """
    node = _first_node(layer, "input")
    if node.layer is not layer or not (node.args or node.kwargs):
        return node.outputs  # a tap on a sublayer's input, or an InputLayer's own tensor
    parents = node.parents
    return parents[0] if len(parents) == 1 else parents


def layer_output(layer) -> Any:
    """``layer.output``: what the layer's first symbolic call returned (Keras semantics)."""
    return _first_node(layer, "output").outputs


def _first_node(layer, what: str) -> Node:
    nodes = layer.__dict__.get("_glassnet_nodes")
    if nodes:
        return nodes[0]
    taps = layer.__dict__.get("_glassnet_taps")
    if taps:
        cache = layer.__dict__.setdefault("_glassnet_tap_nodes", {})
        if what not in cache:
            cache[what] = _tap_node(what, *taps[0])
        return cache[what]
    name = getattr(layer, "name", type(layer).__name__)
    raise NotBuiltError(f"Layer '{name}' has never been called on symbolic inputs, so it has no defined "
                         f"{what}. Call it in a functional model first (y = layer(Input(shape=...))), or use "
                         f"Input(...) as the first entry of a Sequential model. For a layer inside a subclassed "
                         f"model (such as the application models), read model.input first: it calls the model "
                         f"on an Input, which gives every layer inside an output.")


def _tap_node(what: str, model_node: Node, path: str, inputs, output, alt_input, alt_output) -> Node:
    """A node computing ``layer``'s input or output by running the enclosing model up to it."""
    from glassnet.models.functional import FeatureTap
    tapped = inputs if what == "input" else output
    alt = alt_input if what == "input" else alt_output
    tap = FeatureTap(model_node.layer, path, capture=what)
    node = Node(tap, model_node.args, model_node.kwargs)
    node.outputs = SymbolicTensor(tapped, node, getattr(model_node.layer, "data_format", None), alt=alt)
    return node
