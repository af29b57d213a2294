"""``model.summary()``: per layer the output shape, parameters and forward FLOPs.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` on a one-sample
forward pass (multiply-add = 2 FLOPs, PyTorch's convention). A model with a
``None`` input size runs twice, with two stand-in sizes; a size that follows the
input shows as None, and FLOPs (which depend on the size) are not given.

Keras' arguments: ``line_length`` (table width), ``positions`` (where columns end,
as fractions of the width or in characters), ``print_fn`` (called once per line),
``expand_nested`` and ``show_trainable``.

>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> lines = []
>>> text = Sequential([Dense(4, input_dim=3)]).summary(print_fn=lines.append)
>>> 'Total params: 16' in text, len(lines) == len(text.splitlines())
(True, True)
"""

from __future__ import annotations

import io
from typing import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch.utils.flop_counter import FlopCounterMode

from glassnet import layout
from glassnet.errors import NotBuiltError
from glassnet.modes import evaluating
from glassnet.symbolic import concrete_shape

_COLUMNS = ("Layer (type)", "Output Shape", "Param #", "FLOPs")


class SummaryText(str):
    """The summary's text (a ``str``). It was printed already, so a notebook cell ending in
    ``model.summary()`` does not show it a second time as a quoted string."""

    def _ipython_display_(self) -> None:
        """IPython's display hook: nothing more to show."""


def _input_specs(model) -> list[tuple[tuple, torch.dtype]]:
    """(shape without batch, dtype) of each model input, in the user's layout; None = any size."""
    graph = getattr(model, "_graph", None)
    if graph is not None:
        return [(tuple(layer.shape), layer.input_dtype) for layer in graph.input_layers]
    if getattr(model, "_input_layer", None) is not None:
        return [(tuple(model._input_layer.shape), model._input_layer.input_dtype)]
    shapes = getattr(model, "_built_input_shapes", None)
    if shapes:
        return [(tuple(s[1:]), torch.float32) for s in shapes]
    if getattr(model, "_batch_input_shape", None) is not None:
        return [(tuple(model._batch_input_shape[1:]), torch.float32)]
    nodes = model.__dict__.get("_glassnet_nodes")
    if nodes:
        return [(tuple(t.shape[1:]), t.dtype) for t in nodes[0].parents]
    raise NotBuiltError(f"Model '{model.name}' has not been built yet, so its shapes are unknown. Declare the "
                        "input (Input(shape=...) or input_shape= on the first layer), call "
                        "model.build((None, ...)), or call it on data once.")


def _examples(specs, second: bool, device) -> torch.Tensor | list[torch.Tensor]:
    examples = [torch.zeros((1, *concrete_shape(shape, second)), dtype=dtype, device=device)
                for shape, dtype in specs]
    return examples[0] if len(examples) == 1 else examples


def _human(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{int(n)}"


def _fmt_shape(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return str(tuple(shape)).replace(",)", ")")


def _merge(shape, other):
    """A shape from the first run with sizes that changed in the second run as None."""
    if isinstance(shape, list):
        return [_merge(a, b) for a, b in zip(shape, other)]
    return tuple(a if a == b else None for a, b in zip(shape, other))


def _collect(model, expand_nested: bool, example):
    """Run ``example`` through ``model`` with hooks: (rows, FLOPs per module, total FLOPs)."""
    rows, hooks = [], []
    layers = list(model.named_modules())[1:] if expand_nested else list(model.named_children())

    def hook_for(name, module):
        def hook(mod, args, output):
            shapes = [(None, *layout.user_shape(tuple(t.shape), model.data_format)[1:])
                      for t in (output if isinstance(output, (list, tuple)) else [output]) if torch.is_tensor(t)]
            rows.append((name, module, shapes[0] if len(shapes) == 1 else shapes))
        return hook

    for name, module in layers:
        hooks.append(module.register_forward_hook(hook_for(name, module)))
    counter = FlopCounterMode(display=False, depth=None)
    try:
        with evaluating(model), torch.no_grad(), counter:
            model(example)
    finally:
        for h in hooks:
            h.remove()
    flops = {k: sum(v.values()) for k, v in counter.get_flop_counts().items()}
    return rows, flops, counter.get_total_flops()


def _counts(module) -> tuple[int, int]:
    params = list(module.parameters())
    trainable = sum(p.numel() for p in params if p.requires_grad)
    frozen = sum(p.numel() for p in params if not p.requires_grad)
    buffers = module._weight_buffer_tensors() if hasattr(module, "_weight_buffer_tensors") else []
    return trainable, frozen + sum(b.numel() for b in buffers)


def _trainable_mark(module) -> str:
    params = list(module.parameters())
    if not params:
        return "-"
    return "Y" if all(p.requires_grad for p in params) else "N"


def _widths(positions: list | None, width: int, columns: int) -> list[int | None]:
    """Column widths from Keras' ``positions`` (ends of columns, fractions of the width or characters)."""
    if not positions:
        return [None] * columns
    ends = [int(p * width) if p <= 1 else int(p) for p in positions][:columns]
    sizes = [max(4, end - start) for start, end in zip([0, *ends], ends)]
    return sizes + [None] * (columns - len(sizes))


def _table(model, rows, flops, variable, input_rows, line_length, positions, show_trainable,
           expand: bool) -> Table:
    columns = [*_COLUMNS, *(("Trainable",) if show_trainable else ())]
    table = Table(title=f'Model: "{model.name}"', title_justify="left", expand=expand)
    for column, width in zip(columns, _widths(positions, line_length, len(columns))):
        right = column in ("Param #", "FLOPs")
        table.add_column(column, justify="right" if right else "left", width=width, overflow="fold")
    for name, shape in input_rows:
        table.add_row(f"{name} (InputLayer)", _fmt_shape(shape), "0", "0", *(("-",) if show_trainable else ()))
    seen = set()
    for name, module, shape in rows:
        trainable, frozen = _counts(module)
        first_call = id(module) not in seen
        seen.add(id(module))
        layer_flops = "-" if variable else _human(flops.get(f"{type(model).__name__}.{name}", 0))
        note = getattr(module, "summary_note", None)  # e.g. which kernel a recurrent layer runs
        label = f"{getattr(module, 'name', name)} ({type(module).__name__})" + (f"\n  {note}" if note else "")
        table.add_row(label, _fmt_shape(shape),
                      f"{trainable + frozen:,}" if first_call else "(shared)", layer_flops,
                      *((_trainable_mark(module),) if show_trainable else ()))
    return table


def summary(model, line_length: int | None = None, positions: list | None = None,
            print_fn: Callable[[str], None] | None = None, expand_nested: bool = False,
            show_trainable: bool = False) -> SummaryText:
    """Render the summary table, print it (``print_fn`` per line; default: all at once), return the text."""
    specs = _input_specs(model)
    variable = any(s is None for shape, _ in specs for s in shape)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    rows, flops, total_flops = _collect(model, expand_nested, _examples(specs, False, device))
    if variable:
        second, _, _ = _collect(model, expand_nested, _examples(specs, True, device))
        rows = [(name, module, _merge(shape, other[2])) for (name, module, shape), other in zip(rows, second)]
    graph = getattr(model, "_graph", None)
    input_rows = [(layer.name, (None, *layer.shape)) for layer in graph.input_layers] if graph is not None else []
    width = line_length or 100
    table = _table(model, rows, flops, variable, input_rows, width, positions, show_trainable,
                   expand=line_length is not None)
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(table)
    trainable, frozen = _counts(model)
    footer = [f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {frozen:,}",
              "Forward FLOPs per sample: depends on the input size" if variable
              else f"Forward FLOPs per sample: {_human(total_flops)}"]
    setup = getattr(model, "compiled", None)
    if setup is not None and hasattr(setup, "describe"):
        footer.append(setup.describe())
    text = SummaryText(console.export_text() + "\n".join(footer) + "\n")
    if print_fn is None:
        print(text, end="")
    else:
        for line in text.splitlines():
            print_fn(line)
    return text
