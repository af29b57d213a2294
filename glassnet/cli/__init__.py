"""The ``glassnet`` command line: ``glassnet train``, ``glassnet zoo``, ...

Run ``glassnet --help`` for the list, ``glassnet COMMAND --help`` for one.
"""

from __future__ import annotations

import typer

from glassnet.cli.export import export_command
from glassnet.cli.report import report_command
from glassnet.cli.serve import serve_command
from glassnet.cli.lab import lab_command
from glassnet.cli.train import train
from glassnet.cli.tune import tune
from glassnet.cli.zoo import zoo_command
from glassnet.cli.rl import app as rl_app

app = typer.Typer(help="glassnet: deep learning you can see into. Train, inspect and export models.",
                  no_args_is_help=True, add_completion=False)


@app.callback()
def _root() -> None:
    """glassnet: deep learning you can see into."""


app.command(help="Train a model on a dataset (default: an MLP on the bundled digits) and save the run.")(train)


app.command(help="Search the train command's hyper-parameters (lr, batch size, width, dropout, optimizer) "
                 "with Optuna; keep the best model.")(tune)


app.command("zoo", help="List the model zoo: parameters, GFLOPs, input size, weights, ImageNet accuracy.")(zoo_command)


app.add_typer(rl_app, name="rl", help="Reinforcement learning: `glassnet rl cartpole` trains a DQN to balance a pole.")


app.command("export", help="Export a run's model as ONNX, a torch.export program or a glassnet bundle.")(export_command)


app.command("serve", help="Serve a run's model over HTTP (127.0.0.1:8000) with a browser demo page.")(serve_command)


app.command("report", help="Write a run's self-contained HTML report: summary, curves, verdict, confusion matrix, "
                           "top losses with Grad-CAM.")(report_command)


app.command("lab", help="Open the hands-on course in JupyterLab (a copy of its notebooks in ./glassnet-course).")(
    lab_command)


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
