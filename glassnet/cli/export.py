"""``glassnet export RUN_DIR --format onnx``: a run folder's model as ONNX, a torch.export program or a
glassnet bundle, with its preprocessing recorded, checked against the model on the run's test images."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

console = Console()

SUFFIX = {"onnx": "model.onnx", "torch": "model.pt2", "glassnet": "bundle"}


class ExportFormat(str, Enum):
    onnx = "onnx"
    torch = "torch"
    glassnet = "glassnet"


def export_command(
    run_dir: Path = typer.Argument(..., help="A run folder of glassnet train (holds model.glassnet), or a bundle."),
    format: ExportFormat = typer.Option(ExportFormat.onnx, "--format", help="onnx, torch (.pt2) or glassnet (bundle)."),
    output: Path = typer.Option(None, help="Where to write (default: RUN_DIR/model.onnx, model.pt2 or bundle/)."),
    verify: bool = typer.Option(True, help="Compare the export with the model on 256 of the run's test images."),
) -> None:
    from glassnet.export import export, load_bundle

    model, preprocessing = load_bundle(run_dir)
    target = output or Path(run_dir) / SUFFIX[format.value]
    path = export(model, target, format=format.value, preprocessing=preprocessing)
    console.print(f"Exported {model.name} as {format.value}: {path}")
    console.print(f"Input {preprocessing.layout} {preprocessing.input_shape}, pixels x {preprocessing.scale:g} "
                  f"+ {preprocessing.offset:g}, {len(preprocessing.class_names or [])} classes"
                  + (f"; preprocessing inside the model: {', '.join(preprocessing.in_model)}"
                     if preprocessing.in_model else ""))
    if verify and format.value == "onnx":
        images = _test_images(Path(run_dir))
        if images is not None:
            from glassnet.export import max_abs_difference
            console.print(f"onnxruntime vs predict on {len(images)} test images: max abs difference "
                          f"{max_abs_difference(model, path, images):.2e}")


def _test_images(run_dir: Path):
    """The first 256 test images of the dataset the run trained on, as the model saw them (None if unknown)."""
    from glassnet.cli.train import DatasetName, load_dataset

    try:
        dataset = json.loads((run_dir / "metrics.json").read_text()).get("dataset")
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    if dataset not in {d.value for d in DatasetName}:
        return None
    _, (x_test, _), _ = load_dataset(dataset)
    return x_test[:256]
