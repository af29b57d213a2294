"""``glassnet serve RUN_DIR``: a run's model behind HTTP on 127.0.0.1:8000, with the demo page at ``/``."""

from __future__ import annotations

import ipaddress
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

console = Console()


class Backend(str, Enum):
    torch = "torch"
    onnx = "onnx"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> is_loopback('127.0.0.1'), is_loopback('localhost'), is_loopback('0.0.0.0')
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(
    run_dir: Path = typer.Argument(..., help="A run folder of glassnet train, or a bundle from model.export()."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Only this machine can connect unless you "
                             "give another (e.g. 0.0.0.0: everyone on the network)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    backend: Backend = typer.Option(Backend.torch, help="torch (the model itself) or onnx (onnxruntime; exports "
                                    "RUN_DIR/model.onnx first if missing)."),
    batching: bool = typer.Option(True, help="Batch requests arriving within --max-wait-ms into one forward pass."),
    max_batch_size: int = typer.Option(32, min=1, help="Most samples in one forward pass."),
    pad_batches: bool = typer.Option(True, help="Pad each batch to the next power of two: few batch shapes, so "
                                     "the CPU kernels' caches (and the memory) stay bounded."),
    max_wait_ms: float = typer.Option(5.0, min=0.0, help="How long the first request waits for others to join it."),
    max_queue: int = typer.Option(256, min=1, help="Requests that may wait; more get 503 (busy)."),
    max_body_bytes: int = typer.Option(8 * 1024 * 1024, min=1024, help="Largest request body accepted (413 above)."),
    threads: int = typer.Option(0, min=0, help="Threads for the model (0: all cores but one, which is left to HTTP "
                                "handling; more threads than free cores makes torch far slower, not faster)."),
) -> None:
    import uvicorn

    from glassnet.export import load_bundle
    from glassnet.serve import ServeConfig, create_app

    import os

    import torch

    torch.set_num_threads(threads or max(1, (os.cpu_count() or 2) - 1))
    model, preprocessing = load_bundle(run_dir)
    onnx_path = Path(run_dir) / "model.onnx" if Path(run_dir).is_dir() else None
    config = ServeConfig(batching=batching, pad_batches=pad_batches, max_batch_size=max_batch_size,
                         max_wait_ms=max_wait_ms,
                         max_queue=max_queue, max_body_bytes=max_body_bytes)
    app = create_app(model, preprocessing, backend=backend.value, onnx_path=onnx_path, config=config)
    if not is_loopback(host):
        console.print(f"[bold yellow]Warning:[/] listening on {host}: anyone who can reach this machine can send "
                      "requests to the model. There is no authentication; put it behind a proxy with TLS and a "
                      "login before exposing it beyond people you trust.")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"[bold]glassnet serve[/] · {model.name} ({backend.value}) · open http://{shown}:{port}/ "
                  f"(API docs: /docs) · Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
