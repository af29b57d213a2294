"""``glassnet lab``: the course's notebooks, copied for you, opened in JupyterLab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console

console = Console()


def lab_command(
    folder: Path = typer.Option(Path("glassnet-course"), help="Your copy of the course (created; your work in it is kept)."),
    port: int = typer.Option(8888, min=1, max=65535, help="JupyterLab's port."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser (e.g. on a shared server)."),
    reset: bool = typer.Option(False, "--reset", help="Overwrite your copies with fresh ones."),
    prepare_only: bool = typer.Option(False, "--prepare-only", help="Copy the notebooks and stop."),
) -> None:
    from glassnet.course.lab import prepare

    notebooks = prepare(folder, reset=reset)
    console.print(f"The course: {len(notebooks)} notebooks in {folder}/ (start with {notebooks[0].name}).")
    if prepare_only:
        return
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}", f"--port={port}",
               "--ServerApp.ip=127.0.0.1"] + (["--no-browser"] if no_browser else [])
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses without this
        command.append("--allow-root")
    console.print("Starting JupyterLab (Ctrl-C to stop): open the address it prints.")
    if os.name == "posix":  # become JupyterLab: a signal that stops `glassnet lab` then stops the server too
        sys.stdout.flush()
        os.execv(command[0], command)
    raise typer.Exit(subprocess.call(command))
