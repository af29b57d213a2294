"""The ``glassnet`` command line: ``glassnet train``, ``glassnet zoo``, ...

Run ``glassnet --help`` for the list, ``glassnet COMMAND --help`` for one.
"""

from __future__ import annotations

import typer

from glassnet.cli.export import export_command
from glassnet.cli.serve import serve_command
from glassnet.cli.train import train
from glassnet.cli.tune import tune
from glassnet.cli.zoo import zoo_command

app = typer.Typer(help="glassnet: deep learning you can see into. Train, inspect and export models.",
                  no_args_is_help=True, add_completion=False)


@app.callback()
def _root() -> None:
    """glassnet: deep learning you can see into."""


app.command(help="Train a model on a dataset (default: an MLP on the bundled digits) and save the run.")(train)


app.command(help="Search the train command's hyper-parameters (lr, batch size, width, dropout, optimizer) "
                 "with Optuna; keep the best model.")(tune)


app.command("zoo", help="List the model zoo: parameters, GFLOPs, input size, weights, ImageNet accuracy.")(zoo_command)


app.command("export", help="Export a run's model as ONNX, a torch.export program or a glassnet bundle.")(export_command)


app.command("serve", help="Serve a run's model over HTTP (127.0.0.1:8000) with a browser demo page.")(serve_command)


def main() -> None:
    """Entry point of the ``glassnet`` script: glassnet's own errors are shown as their
    message (what is wrong and what to do), not as a traceback."""
    from rich.console import Console

    from glassnet.errors import GlassnetError

    try:
        app()
    except GlassnetError as err:
        Console(stderr=True).print(f"[bold red]Error:[/] {err}", highlight=False)
        raise SystemExit(1) from None
