"""``model.summary()``: per layer the output shape, parameters and forward FLOPs.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` on a one-sample
forward pass (multiply-add = 2 FLOPs, PyTorch's convention).

>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> text = Sequential([Dense(4, input_dim=3)]).summary(print_fn=lambda s: None)
>>> 'Total params: 16' in text
True
"""

from __future__ import annotations

import io
from typing import Callable

import torch
from rich.console import Console
from rich.table import Table
from torch.utils.flop_counter import FlopCounterMode

from glassnet import layout
from glassnet.errors import ShapeError


def _example_input(model):
    shapes = getattr(model, "_built_input_shapes", None)
    if getattr(model, "_graph", None) is not None:
        examples = [torch.zeros((1, *layer.shape), dtype=layer.input_dtype)
                    for layer in model._graph.input_layers]
        return examples[0] if len(examples) == 1 else examples
    if getattr(model, "_input_layer", None) is not None:
        spec = model._input_layer
        return torch.zeros((1, *spec.shape), dtype=spec.input_dtype)
    if shapes:
        examples = [torch.zeros((1, *s[1:])) for s in shapes]
        return examples[0] if len(examples) == 1 else examples
    raise ShapeError(f"Model '{model.name}' has not been built yet, so its shapes are unknown. Declare the "
                     "input (Input(shape=...) or input_shape= on the first layer), call model.build((None, ...)),"
                     " or fit it once.")


def _human(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{int(n)}"


def _fmt_shape(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return str(tuple(shape)).replace(",)", ")")


def _collect(model, expand_nested: bool):
    rows, hooks = [], []
    layers = list(model.named_modules())[1:] if expand_nested else [(n, m) for n, m in model.named_children()]

    def hook_for(name, module):
        def hook(mod, args, output):
            shapes = [(None, *layout.user_shape(tuple(t.shape), model.data_format)[1:])
                      for t in (output if isinstance(output, (list, tuple)) else [output]) if torch.is_tensor(t)]
            rows.append((name, module, shapes[0] if len(shapes) == 1 else shapes))
        return hook

    for name, module in layers:
        hooks.append(module.register_forward_hook(hook_for(name, module)))
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    example = _example_input(model)
    example = [e.to(device) for e in example] if isinstance(example, list) else example.to(device)
    counter = FlopCounterMode(display=False, depth=None)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), counter:
            model(example)
    finally:
        model.train(was_training)
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


def summary(model, print_fn: Callable[[str], None] | None = None, expand_nested: bool = False) -> str:
    """Render the summary table, print it with ``print_fn`` (default: the console), return the text."""
    rows, flops, total_flops = _collect(model, expand_nested)
    table = Table(title=f'Model: "{model.name}"', title_justify="left")
    for column in ("Layer (type)", "Output Shape", "Param #", "FLOPs"):
        table.add_column(column, justify="right" if column in ("Param #", "FLOPs") else "left")
    seen = set()
    for name, module, shape in rows:
        trainable, frozen = _counts(module)
        first_call = id(module) not in seen
        seen.add(id(module))
        key = f"{type(model).__name__}.{name}"
        layer_flops = flops.get(key, 0)
        table.add_row(f"{getattr(module, 'name', name)} ({type(module).__name__})", _fmt_shape(shape),
                      f"{trainable + frozen:,}" if first_call else "(shared)", _human(layer_flops))
    trainable, frozen = _counts(model)
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(table)
    setup = getattr(model, "compiled", None)
    footer = [f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {frozen:,}", f"Forward FLOPs per sample: {_human(total_flops)}"]
    if setup is not None:
        footer.append(setup.describe())
    text = console.export_text() + "\n".join(footer) + "\n"
    (print_fn or print)(text)
    return text
