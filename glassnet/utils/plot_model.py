"""``plot_model``: a picture of a model's graph of layers (Keras' ``keras.utils.plot_model``).

The graph is written in Graphviz's DOT language and drawn by Graphviz's ``dot``
program (Debian/Ubuntu: ``apt-get install graphviz``; macOS: ``brew install graphviz``).
The file's extension picks the format: ``.png``, ``.svg``, ``.pdf``, or ``.dot`` for the
DOT text itself (no Graphviz needed).

>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Model
>>> inputs = Input(shape=(4,), name='features')
>>> model = Model(inputs, Dense(2, name='scores')(inputs))
>>> print(model_to_dot(model, show_shapes=True).splitlines()[4])
  "features" [label="features (InputLayer)\\nOutput shape: (None, 4)"];
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet.errors import MissingToolError, NotBuiltError
from glassnet.symbolic import SymbolicTensor, layer_input, layer_output

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".gif": "gif"}
_INSTALL = ("Install Graphviz, which provides it: 'apt-get update && apt-get install -y graphviz' (Debian/Ubuntu), "
            "'brew install graphviz' (macOS), 'conda install graphviz'; or save the graph as text with "
            "to_file='model.dot'.")


def _shape_text(value: Any) -> str:
    shapes = [t.shape for t in pytree.tree_leaves(value) if isinstance(t, SymbolicTensor)]
    text = ", ".join(str(s).replace(",)", ")") for s in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _symbolic(read, layer) -> Any:
    try:
        return read(layer)
    except NotBuiltError:
        return None


def _label(layer, inputs, outputs, show_shapes: bool, show_dtype: bool, show_layer_names: bool,
           show_layer_activations: bool, show_trainable: bool) -> str:
    kind = type(layer).__name__
    lines = [f"{getattr(layer, 'name', kind)} ({kind})" if show_layer_names else kind]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and callable(activation):
        lines.append(f"Activation: {getattr(activation, '__name__', type(activation).__name__)}")
    if show_shapes and inputs is not None:
        lines.append(f"Input shape: {_shape_text(inputs)}")
    if show_shapes and outputs is not None:
        lines.append(f"Output shape: {_shape_text(outputs)}")
    if show_dtype and outputs is not None:
        dtypes = {str(t.dtype).replace("torch.", "") for t in pytree.tree_leaves(outputs)
                  if isinstance(t, SymbolicTensor)}
        lines.append(f"Output dtype: {', '.join(sorted(dtypes))}")
    if show_trainable:
        params = list(layer.parameters())
        lines.append(f"Trainable: {'Y' if params and all(p.requires_grad for p in params) else 'N'}")
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def _boxes_and_edges(model) -> tuple[list[tuple[Any, Any, Any]], list[tuple[Any, Any]]]:
    """[(layer, its symbolic inputs, its symbolic outputs)] and [(from layer, to layer)]."""
    graph = getattr(model, "_graph", None)
    if graph is not None:
        boxes = [(layer, None, t) for layer, t in zip(graph.input_layers, graph.input_tensors)]
        boxes += [(node.layer, (node.args, node.kwargs), node.outputs) for node in graph.nodes]
        edges = {(id(parent.node.layer), id(node.layer)): (parent.node.layer, node.layer)
                 for node in graph.nodes for parent in node.parents}
        return _first_per_layer(boxes), list(edges.values())
    layers = list(model.layers) if hasattr(model, "layers") else list(model.children())
    if not hasattr(model, "_input_layer") or not layers:  # a subclassed model: one box
        return [(model, _symbolic(layer_input, model), _symbolic(layer_output, model))], []
    boxes = [(layer, _symbolic(layer_input, layer), _symbolic(layer_output, layer)) for layer in layers]
    if model._input_layer is not None:
        boxes.insert(0, (model._input_layer, None, model._input_tensor))
    chain = [box[0] for box in boxes]
    return boxes, list(zip(chain, chain[1:]))


def _first_per_layer(boxes: list) -> list:
    seen: dict[int, tuple] = {}
    for box in boxes:
        seen.setdefault(id(box[0]), box)
    return list(seen.values())


def model_to_dot(model: torch.nn.Module, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB", dpi: int = 96,
                 show_layer_activations: bool = False, show_trainable: bool = False) -> str:
    """The model's graph as Graphviz DOT text (one box per layer, an arrow per connection)."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir={rankdir!r}: use 'TB' (top to bottom) or 'LR' (left to right).")
    boxes, edges = _boxes_and_edges(model)
    ids = {id(layer): getattr(layer, "name", f"layer_{i}") for i, (layer, _, _) in enumerate(boxes)}
    lines = [f'digraph "{getattr(model, "name", "model")}" {{',
             f"  graph [rankdir={rankdir}, dpi={int(dpi)}];",
             '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];',
             '  edge [color="#555555"];']
    for layer, inputs, outputs in boxes:
        label = _label(layer, inputs, outputs, show_shapes, show_dtype, show_layer_names, show_layer_activations,
                       show_trainable)
        lines.append(f'  "{ids[id(layer)]}" [label="{label}"];')
    for source, target in edges:
        if id(source) in ids and id(target) in ids:
            lines.append(f'  "{ids[id(source)]}" -> "{ids[id(target)]}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model: torch.nn.Module, to_file: str | Path = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 96, show_layer_activations: bool = False,
               show_trainable: bool = False, **kwargs) -> Any:
    """Draw ``model``'s layers and their connections into ``to_file`` (Keras' arguments).

    A nested model is drawn as one box (``expand_nested`` is accepted for Keras programs;
    ``summary(expand_nested=True)`` lists the inner layers). In a notebook the picture is
    returned for display; elsewhere None.
    """
    path = Path(to_file)
    dot_text = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, dpi,
                            show_layer_activations, show_trainable)
    if path.suffix.lower() == ".dot":
        path.write_text(dot_text)
        return None
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"plot_model cannot write '{path.name}': use a .png, .svg, .pdf, .jpg or .dot file name.")
    program = shutil.which("dot")
    if program is None:
        raise MissingToolError(f"plot_model needs Graphviz's 'dot' program, which is not on this machine's PATH. "
                               f"{_INSTALL}")
    result = subprocess.run([program, f"-T{fmt}", "-o", str(path)], input=dot_text.encode(), capture_output=True,
                            timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz could not draw the graph into '{path}': "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return _notebook_image(path) if fmt in ("png", "jpg") else None


def _notebook_image(path: Path) -> Any:
    """An IPython Image when running inside IPython/Jupyter (so the cell shows the picture), else None."""
    ipython = sys.modules.get("IPython")
    if ipython is None or getattr(ipython, "get_ipython", lambda: None)() is None:
        return None
    from IPython.display import Image
    return Image(filename=str(path))


__all__ = ["plot_model", "model_to_dot"]
