"""The functional API's graph: which layer runs on which tensors, in what order.

>>> from glassnet import Input
>>> from glassnet.layers import Dense
>>> inputs = Input(shape=(4,))
>>> graph = Graph(inputs, Dense(2, name='out')(Dense(3, name='hidden')(inputs)))
>>> [node.layer.name for node in graph.nodes]
['hidden', 'out']
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet import serialization
from glassnet.errors import NotBuiltError
from glassnet.layers.base import Layer
from glassnet.layers.core import Input, InputLayer
from glassnet.symbolic import Node, SymbolicTensor


def _symbolic_leaves(tree: Any) -> list[SymbolicTensor]:
    leaves = pytree.tree_leaves(tree)
    bad = [leaf for leaf in leaves if not isinstance(leaf, SymbolicTensor)]
    if bad:
        raise TypeError(f"Model inputs/outputs must be tensors returned by Input() or by calling layers "
                        f"on them; got {type(bad[0]).__name__}.")
    return leaves


class Graph:
    """The layer calls between ``inputs`` and ``outputs`` in an order where each
    call comes after the calls it depends on (a topological order)."""

    def __init__(self, inputs: Any, outputs: Any):
        self.inputs, self.outputs = inputs, outputs
        self.input_tensors = _symbolic_leaves(inputs)
        self.output_tensors = _symbolic_leaves(outputs)
        for tensor in self.input_tensors:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(f"Model inputs must come from Input(); {tensor} was produced by a layer.")
        self.nodes = self._topological_nodes()

    def _topological_nodes(self) -> list[Node]:
        input_ids = {t.id for t in self.input_tensors}
        order: list[Node] = []
        state: dict[int, str] = {}

        def visit(tensor: SymbolicTensor):
            if tensor.id in input_ids:
                return
            node = tensor.node
            if isinstance(node.layer, InputLayer):
                raise ValueError(f"Output depends on the input '{node.layer.name}', which is not among "
                                 f"the model's inputs. Pass it in Model(inputs=[...]).")
            if state.get(id(node)) == "done":
                return
            state[id(node)] = "visiting"
            for parent in node.parents:
                visit(parent)
            state[id(node)] = "done"
            order.append(node)

        for tensor in self.output_tensors:
            visit(tensor)
        return order

    @property
    def layers(self) -> list:
        """Each layer once, in first-call order."""
        seen: dict[int, Any] = {}
        for node in self.nodes:
            seen.setdefault(id(node.layer), node.layer)
        return list(seen.values())

    @property
    def input_layers(self) -> list[InputLayer]:
        """Each input's InputLayer once, in input order."""
        return list({id(t.node.layer): t.node.layer for t in self.input_tensors}.values())

    @property
    def output_layers(self) -> list:
        return [t.node.layer for t in self.output_tensors]

    def run(self, inputs: Any) -> Any:
        """Execute the graph on real tensors (already in internal layout)."""
        values: dict[int, torch.Tensor] = {}
        self._bind_inputs(inputs, values)
        for node in self.nodes:
            args = pytree.tree_map(lambda v: values[v.id] if isinstance(v, SymbolicTensor) else v, node.args)
            kwargs = pytree.tree_map(lambda v: values[v.id] if isinstance(v, SymbolicTensor) else v, node.kwargs)
            result = node.layer(*args, **kwargs)
            for sym, value in zip(pytree.tree_leaves(node.outputs), pytree.tree_leaves(result)):
                if isinstance(sym, SymbolicTensor):
                    values[sym.id] = value
        return pytree.tree_map(lambda v: values[v.id], self.outputs)

    def _bind_inputs(self, inputs: Any, values: dict) -> None:
        if isinstance(inputs, dict):
            by_name = {t.node.layer.name: t for t in self.input_tensors}
            missing = set(by_name) - set(inputs)
            if missing:
                raise ValueError(f"Missing model input(s) {sorted(missing)}; the model takes {sorted(by_name)}.")
            for name, tensor in by_name.items():
                values[tensor.id] = inputs[name]
            return
        leaves = [inputs] if torch.is_tensor(inputs) else list(pytree.tree_leaves(inputs))
        if len(leaves) != len(self.input_tensors):
            raise ValueError(f"This model takes {len(self.input_tensors)} input(s) "
                             f"({[t.node.layer.name for t in self.input_tensors]}) but got {len(leaves)}.")
        for tensor, value in zip(self.input_tensors, leaves):
            values[tensor.id] = value

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Layers and their connections, as JSON (rebuilt by :func:`from_config`)."""
        node_index = {id(n): i for i, n in enumerate(self.nodes)}
        input_index = {t.id: i for i, t in enumerate(self.input_tensors)}

        def ref(value):
            if not isinstance(value, SymbolicTensor):
                return value
            if value.id in input_index:
                return {"__input__": input_index[value.id]}
            leaves = pytree.tree_leaves(value.node.outputs)
            return {"__node__": node_index[id(value.node)], "index": leaves.index(value)}

        def out_ref(value):
            return ref(value)

        layers, nodes = {}, []
        for node in self.nodes:
            layers.setdefault(node.layer.name, {"class_name": serialization.registered_name(type(node.layer)),
                                                "config": node.layer.get_config()})
            nodes.append({"layer": node.layer.name,
                          "args": pytree.tree_map(ref, node.args),
                          "kwargs": pytree.tree_map(ref, node.kwargs)})
        return {
            "inputs": [t.node.layer.get_config() for t in self.input_tensors],
            "input_structure": pytree.tree_map(lambda t: input_index[t.id], self.inputs),
            "layers": layers,
            "nodes": nodes,
            "outputs": pytree.tree_map(out_ref, self.outputs),
        }


class FeatureTap(Layer):
    """The output (or input) of the sublayer at ``path`` inside a subclassed ``model``,
    computed by running the model until that sublayer has run. This is what
    ``model.get_layer(name).output`` is in a graph when the model is not functional
    (the application models are subclassed), so feature extractors work the Keras way.

    >>> import torch
    >>> from glassnet.layers import Dense
    >>> from glassnet.models import Sequential
    >>> net = Sequential([Dense(3, name='hidden'), Dense(2)])
    >>> FeatureTap(net, 'hidden')(torch.ones(1, 4)).shape
    torch.Size([1, 3])
    """

    def __init__(self, model: torch.nn.Module, path: str, capture: str = "output", **kwargs):
        if capture not in ("input", "output"):
            raise ValueError(f"FeatureTap(capture={capture!r}): use 'input' or 'output'.")
        kwargs.setdefault("name", f"{getattr(model, 'name', 'model')}_{path.replace('.', '_')}"
                                  + ("_input" if capture == "input" else ""))
        super().__init__(**kwargs)
        self.model, self.path, self.capture = model, path, capture

    def call(self, *args, **kwargs):
        target = self.model.get_submodule(self.path)
        seen: list = []

        def grab(module, inputs, output=None):
            seen.append(output if self.capture == "output" else inputs[0])
            raise _Captured

        handle = (target.register_forward_hook(grab) if self.capture == "output"
                  else target.register_forward_pre_hook(grab))
        try:
            self.model(*args, **kwargs)
        except _Captured:
            pass
        finally:
            handle.remove()
        if not seen:
            raise NotBuiltError(f"Layer '{self.path}' did not run when model '{self.model.name}' was called, so "
                                "its output cannot be taken here.")
        return seen[0]


class _Captured(Exception):
    """Stops the tapped model once the wanted layer has run (the rest is not needed)."""


def _declared_shape(model) -> tuple | None:
    """The one input shape (no batch) a non-functional model declares or was built with."""
    if getattr(model, "_batch_input_shape", None) is not None:
        return tuple(model._batch_input_shape[1:])
    shapes = getattr(model, "_built_input_shapes", None)
    if shapes and len(shapes) == 1:
        return tuple(shapes[0][1:])
    return None


def _called_node(model, create: bool) -> Node | None:
    """The model's first symbolic call; with ``create``, call it on an ``Input`` of its known shape."""
    nodes = model.__dict__.get("_glassnet_nodes")
    if not nodes and create:
        shape = _declared_shape(model)
        if shape is None:
            raise NotBuiltError(f"Model '{model.name}' has no defined input: its input shape is unknown. Call it "
                                f"on an Input first (outputs = model(Input(shape=...))), give input_shape= to it, "
                                "or build it (model.build((None, ...))).")
        model(Input(shape=shape))
        nodes = model.__dict__.get("_glassnet_nodes")
    return nodes[0] if nodes else None


def _unnest(tensors: list) -> Any:
    return tensors[0] if len(tensors) == 1 else list(tensors)


def model_inputs(model) -> list:
    """``model.inputs``: the symbolic input tensors, as a list ([] if the model's input is unknown)."""
    if model._graph is not None:
        return list(model._graph.input_tensors)
    try:
        node = _called_node(model, create=True)
    except NotBuiltError:
        return []
    return node.parents


def model_outputs(model) -> list:
    """``model.outputs``: the symbolic output tensors, as a list ([] if the model's input is unknown)."""
    if model._graph is not None:
        return list(model._graph.output_tensors)
    try:
        node = _called_node(model, create=True)
    except NotBuiltError:
        return []
    return [t for t in pytree.tree_leaves(node.outputs) if isinstance(t, SymbolicTensor)]


def model_input(model) -> Any:
    """``model.input``: like :func:`model_inputs`, a lone tensor when there is one input."""
    if model._graph is not None:
        return _unnest(model._graph.input_tensors)
    return _unnest(_called_node(model, create=True).parents)


def model_output(model) -> Any:
    """``model.output``: like :func:`model_outputs`, a lone tensor when there is one output."""
    if model._graph is not None:
        return _unnest(model._graph.output_tensors)
    return _called_node(model, create=True).outputs


def graph_from_config(config: dict, custom_objects: dict | None = None) -> tuple[Any, Any]:
    """Rebuild (inputs, outputs) symbolic tensors from :meth:`Graph.get_config`."""
    inputs = [Input(shape=c["shape"], batch_size=c["batch_size"], dtype=c["dtype"], name=c["name"])
              for c in config["inputs"]]
    layers = {name: serialization.get_class(spec["class_name"], custom_objects).from_config(spec["config"])
              for name, spec in config["layers"].items()}
    results: list[Any] = []

    def is_ref(v):
        return isinstance(v, dict) and ("__input__" in v or "__node__" in v)

    def resolve(value):
        if isinstance(value, dict) and "__input__" in value:
            return inputs[value["__input__"]]
        if isinstance(value, dict) and "__node__" in value:
            return pytree.tree_leaves(results[value["__node__"]])[value["index"]]
        return value

    for node in config["nodes"]:
        args = pytree.tree_map(resolve, _lists_to_tuples(node["args"]), is_leaf=is_ref)
        kwargs = pytree.tree_map(resolve, node["kwargs"], is_leaf=is_ref)
        results.append(layers[node["layer"]](*args, **kwargs))
    structure = config["input_structure"]
    model_inputs = pytree.tree_map(lambda i: inputs[i], structure)
    outputs = pytree.tree_map(resolve, config["outputs"], is_leaf=is_ref)
    return model_inputs, outputs


def _lists_to_tuples(args):
    return tuple(args) if isinstance(args, list) else args
