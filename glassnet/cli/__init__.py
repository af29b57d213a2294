"""The ``glassnet`` command line: ``glassnet train``, ``glassnet zoo``, ...

Run ``glassnet --help`` for the list, ``glassnet COMMAND --help`` for one.
"""

from __future__ import annotations

import typer

from glassnet.cli.train import train
from glassnet.cli.zoo import zoo_command

app = typer.Typer(help="glassnet: deep learning you can see into. Train, inspect and export models.",
                  no_args_is_help=True, add_completion=False)


@app.callback()
def _root() -> None:
    """glassnet: deep learning you can see into."""


app.command(help="Train a model on a dataset (default: an MLP on the bundled digits) and save the run.")(train)


app.command("zoo", help="List the model zoo: parameters, GFLOPs, input size, weights, ImageNet accuracy.")(zoo_command)


def main() -> None:
    """Entry point of the ``glassnet`` script."""
    app()
