"""``glassnet zoo``: the model zoo as a table, and ``--bench`` to time every model on this machine.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` on a forward pass at the
model's default input size (a multiply-add counts 2 FLOPs), run on PyTorch's *meta* device —
shapes only, no arithmetic — so the count is instant even for VGG19. ``--bench`` times real
forward passes and reports milliseconds per image and achieved GFLOP/s: the FLOP count bounds
the forward time, the slides' point.

>>> from glassnet.applications import list_models
>>> 'VGG16' in render_text(list_models())
True
"""

from __future__ import annotations

import time
from typing import Iterable

import torch
from torch.utils.flop_counter import FlopCounterMode

from glassnet import layout
from glassnet.applications.registry import ModelInfo, get_model_info, list_models


def count_gflops(model: torch.nn.Module, size: int, channels: int = 3) -> float:
    """Forward GFLOPs of ``model`` on one ``size`` x ``size`` image, counted on the meta device.

    The model is moved to the meta device (its weights are discarded): pass a throwaway copy.

    >>> from glassnet.applications import LeNet5
    >>> round(count_gflops(LeNet5(), 32, 1), 6)
    0.000833
    """
    model = model.to("meta").eval()
    with torch.no_grad(), layout.internal_layout(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, channels, size, size, device="meta"))
    return counter.get_total_flops() / 1e9


def model_gflops(name: str) -> float:
    """GFLOPs of registered model ``name`` at its default configuration and input size."""
    info = get_model_info(name)
    return count_gflops(info.builder(weights=None), info.default_size, info.input_channels)


def bench_model(info: ModelInfo, batch_size: int = 8, repeats: int = 3, size: int | None = None) -> dict:
    """Time forward passes of ``info``'s model: ms per image (best of ``repeats``) and achieved GFLOP/s.

    >>> from glassnet.applications import get_model_info
    >>> row = bench_model(get_model_info('LeNet5'), batch_size=4, repeats=1)
    >>> row['ms_per_image'] > 0
    True
    """
    size = size or info.default_size
    model = info.builder(weights=None).eval()
    x = torch.rand(batch_size, info.input_channels, size, size).contiguous(memory_format=torch.channels_last)
    best = float("inf")
    with torch.inference_mode(), layout.internal_layout():
        model(x)  # warm-up at the timed shape: kernel selection, allocations
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            best = min(best, time.perf_counter() - start)
    ms = best * 1000 / batch_size
    gflops = info.gflops * size * size / (info.default_size ** 2)
    return {"name": info.name, "ms_per_image": ms, "gflops": gflops, "achieved_gflops_per_s": gflops / (ms / 1000)}


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _rows(infos: Iterable[ModelInfo]) -> list[list[str]]:
    return [[i.name, f"{i.params:,}", _fmt(i.gflops, ".3g"), f"{i.default_size}x{i.default_size}x{i.input_channels}",
             i.preprocess, ", ".join(i.weight_names) or "-", _fmt(i.top1, ".3f"), _fmt(i.top5, ".3f")]
            for i in infos]


HEADERS = ["model", "parameters", "GFLOPs", "input", "preprocess", "weights", "top-1", "top-5"]


def make_table(infos: Iterable[ModelInfo], bench: list[dict] | None = None):
    """A rich ``Table`` of the models (and benchmark columns when given)."""
    from rich.table import Table

    table = Table(title="glassnet.applications", show_lines=False)
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("model", "preprocess", "weights", "input") else "right")
    timings = {row["name"]: row for row in bench or []}
    if bench:
        table.add_column("ms/image", justify="right")
        table.add_column("GFLOP/s", justify="right")
    for info, row in zip(infos, _rows(infos)):
        if bench:
            t = timings.get(info.name)
            row += [f"{t['ms_per_image']:.2f}", f"{t['achieved_gflops_per_s']:.1f}"] if t else ["-", "-"]
        table.add_row(*row)
    return table


def render_text(infos: Iterable[ModelInfo]) -> str:
    """The table as plain text (what ``repr(list_models())`` shows)."""
    from rich.console import Console

    console = Console(width=140, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(make_table(list(infos)))
    return console.export_text()


def zoo(bench: bool = False, family: str | None = None, models: list[str] | None = None, batch_size: int = 8,
        repeats: int = 3, quiet: bool = False) -> list[dict]:
    """Print the model zoo table; with ``bench=True`` also time each model's forward pass here.

    ``family`` or ``models`` select rows; ``batch_size``/``repeats`` tune the benchmark; ``quiet``
    returns the rows (dicts, with timings when benchmarking) without printing.

    >>> zoo(models=['LeNet5'], quiet=True)[0]['params']
    61706
    """
    from rich.console import Console

    infos = [i for i in list_models(family) if not models or i.name in models or i.name.lower() in
             [m.lower() for m in models]]
    timings = [bench_model(i, batch_size, repeats) for i in infos] if bench else None
    if not quiet:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
        console.print(make_table(infos, timings))
    rows = [i.row() for i in infos]
    for row, t in zip(rows, timings or []):
        row.update(ms_per_image=t["ms_per_image"], achieved_gflops_per_s=t["achieved_gflops_per_s"])
    return rows


__all__ = ["zoo", "count_gflops", "model_gflops", "bench_model", "make_table", "render_text"]
