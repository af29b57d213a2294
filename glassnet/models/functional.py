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

from glassnet.layers.core import InputLayer
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
        return [t.node.layer for t in self.input_tensors]

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
            layers.setdefault(node.layer.name, {"class_name": type(node.layer).__name__,
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


def graph_from_config(config: dict, custom_objects: dict | None = None) -> tuple[Any, Any]:
    """Rebuild (inputs, outputs) symbolic tensors from :meth:`Graph.get_config`."""
    from glassnet import serialization
    from glassnet.layers.core import Input

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
