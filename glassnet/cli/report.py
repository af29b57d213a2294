"""``glassnet report RUN_DIR``: one self-contained HTML page for a run that ``glassnet train`` saved.

The model is read from ``RUN_DIR/model.glassnet`` and the test split of the run's dataset (named in
``metrics.json``) gives the confusion matrix, top losses with Grad-CAM and sample predictions.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from glassnet.errors import DataFileError

console = Console()


def run_report(run_dir: Path, model=None, x=None, y=None, class_names=None, samples: int = 2000) -> Path:
    """Write ``run_dir/report.html``; without ``x``/``y``, the first ``samples`` test images of the run's
    dataset are used (when it can be loaded). Returns the page's path."""
    from glassnet.explain.report import write_report

    if x is None and samples > 0:
        x, y, class_names = _test_data(run_dir, samples)
    elif x is not None and samples > 0:
        x, y = x[:samples], y[:samples]
    return write_report(run_dir, model=model, x=x, y=y, class_names=class_names)


def _test_data(run_dir: Path, samples: int):
    from glassnet.cli.train import load_dataset

    metrics = run_dir / "metrics.json"
    name = json.loads(metrics.read_text()).get("dataset") if metrics.exists() else None
    if name is None:
        return None, None, None
    try:
        _, (x_test, y_test), names = load_dataset(name)
    except (DataFileError, OSError, AttributeError) as err:
        console.print(f"[yellow]No test data for the report ({err}); writing it without the confusion matrix.[/]")
        return None, None, None
    return x_test[:samples], y_test[:samples], names


def report_command(
    run_dir: Path = typer.Argument(..., help="A run folder written by glassnet train (runs/<timestamp>/)."),
    samples: int = typer.Option(2000, min=0, help="Test images for the confusion matrix and top losses (0: none)."),
) -> None:
    if not run_dir.is_dir():
        raise DataFileError(f"glassnet report: {run_dir} is not a folder. Give a run folder written by glassnet "
                            "train, e.g. runs/20260101-120000.")
    if not (run_dir / "metrics.json").exists() and not (run_dir / "model.glassnet").exists():
        raise DataFileError(f"glassnet report: {run_dir} has neither metrics.json nor model.glassnet; give a run "
                            "folder written by glassnet train.")
    path = run_report(run_dir, samples=samples)
    console.print(f"Report: {path}", soft_wrap=True)  # a path: never wrapped
