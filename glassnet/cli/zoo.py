"""``glassnet zoo``: the classic architectures as a table; ``--bench`` times them here."""

from __future__ import annotations

from typing import List, Optional

import typer


def zoo_command(
    bench: bool = typer.Option(False, "--bench", help="Time each model's forward pass on this machine."),
    family: Optional[str] = typer.Option(None, help="Only one family, e.g. resnet, vgg, mobilenet."),
    model: Optional[List[str]] = typer.Option(None, "--model", "-m", help="Only these models (repeatable)."),
    batch_size: int = typer.Option(8, min=1, help="Images per timed forward pass (--bench)."),
    repeats: int = typer.Option(3, min=1, help="Timed repeats per model, best kept (--bench)."),
) -> None:
    from glassnet.applications.zoo_cli import zoo
    zoo(bench=bench, family=family, models=model or None, batch_size=batch_size, repeats=repeats)
