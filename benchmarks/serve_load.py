"""Serving under load: throughput, latency, errors and memory of ``glassnet serve`` on loopback.

    GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/serve_load.py [--requests 10000 --concurrency 64]

For each model (MobileNet alpha 0.25 at 224×224 with the shared weights and a 10-class head; the Keras MNIST
convnet), backend (torch, onnxruntime) and micro-batching on/off, a server process is started on 127.0.0.1
and sent ``--requests`` image uploads (a JPEG photo / a PNG digit, decoded and preprocessed by the server)
by ``--concurrency`` concurrent connections, ``--rounds`` times (2 by default: later rounds show whether memory
grows). Reports
throughput, p50/p99 latency, errors, the server's peak RSS (VmHWM) and RSS after each round, the mean batch
the micro-batcher formed, and the model alone (samples/s at batch 1 and 32, measured in the server process
before it serves): when the server is far below the model alone, HTTP handling sets the limit.
Targets: 0 errors, RSS not growing, batching ≥ 2× unbatched for MobileNet. Writes the ``serve_load``
section of ``benchmarks/RESULTS.md`` (not with ``--quick``: 200 requests, a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from results import markers, write_section

MODELS = ("mobilenet", "mnist")
BACKENDS = ("torch", "onnx")
THREADS = 1  # inference threads: the other core serves HTTP and the client (2 threads on 2 busy cores: ~100× slower)


# ---------------------------------------------------------------- the server process
def build(model: str):
    """(model, preprocessing) of a benchmark model: weights are random where training would not change speed."""
    from glassnet import layers, models
    from glassnet.cli.train import build_model
    from glassnet.export.preprocessing import Preprocessing, dataset_preprocessing

    if model == "mnist":
        net = build_model("cnn", (28, 28, 1), 10)
        return net, dataset_preprocessing(net, "mnist")
    from glassnet.applications import MobileNet

    weights = Path(os.environ.get("GLASSNET_DATA", "")) / "weights" / "mobilenet_2_5_224_tf_no_top.h5"
    base = MobileNet(alpha=0.25, include_top=False, pooling="avg", input_shape=(224, 224, 3),
                     weights=str(weights) if weights.is_file() else None)
    inputs = layers.Input((224, 224, 3))
    net = models.Model(inputs, layers.Dense(10, activation="softmax")(base(inputs)), name="mobilenet_head")
    return net, Preprocessing(input_shape=(224, 224, 3), scale=1 / 127.5, offset=-1.0,
                              class_names=[f"class {i}" for i in range(10)])


def model_alone(backend, shape) -> dict:
    """Samples per second of the backend itself at batch 1 and 32 (median of 5 timed calls after 2)."""
    speeds = {}
    for batch in (1, 32):
        x = np.random.default_rng(0).random((batch, *shape), dtype=np.float32)
        times = []
        for i in range(7):
            start = time.perf_counter()
            backend.predict(x)
            times.append(time.perf_counter() - start)
        speeds[f"batch_{batch}"] = batch / float(np.median(times[2:]))
    return speeds


def serve(args) -> None:
    import torch
    import uvicorn

    from glassnet.serve import ServeConfig, create_app

    torch.set_num_threads(THREADS)
    net, pre = build(args.model)
    folder = Path(tempfile.mkdtemp())
    app = create_app(net, pre, backend=args.backend, onnx_path=folder / "model.onnx",
                     config=ServeConfig(batching=args.batching == "on", pad_batches=args.pad == "on",
                                        max_batch_size=32, max_wait_ms=5, max_queue=1024))
    Path(args.calibration).write_text(json.dumps(model_alone(app.state.backend, pre.input_shape)))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="error")


# ---------------------------------------------------------------- the client
def payload(model: str) -> tuple[bytes, str]:
    from PIL import Image

    if model == "mnist":
        from glassnet.datasets import mnist
        _, (x_test, _) = mnist.load_data()
        image, kind = Image.fromarray(x_test[0]), "PNG"
    else:
        photos = sorted((Path(os.environ.get("GLASSNET_DATA", "")) / "photos").glob("*.JPEG"))
        image = Image.open(photos[0]).convert("RGB").resize((256, 256)) if photos else Image.new("RGB", (256, 256))
        kind = "JPEG"
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue(), f"image/{kind.lower()}"


def multipart(body: bytes, kind: str, boundary: str = "glassnet-bench") -> tuple[bytes, str]:
    """A multipart/form-data body with one ``file`` field, and its Content-Type."""
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n'
            f"Content-Type: {kind}\r\n\r\n").encode()
    return head + body + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def load(url: str, body: bytes, kind: str, requests: int, concurrency: int) -> dict:
    """``concurrency`` keep-alive connections sending the same pre-encoded upload until ``requests`` are done.

    A lean HTTP/1.1 client (asyncio streams, the request bytes built once), like wrk: httpx's client needed most
    of a core at this concurrency and, with the server's answers arriving in batches, became the bottleneck
    itself (53 req/s batched vs 233 with this client, MobileNet on onnxruntime)."""
    import json as json_
    import urllib.request

    host, port = url.removeprefix("http://").split(":")
    payload, content_type = multipart(body, kind)
    request = (f"POST /predict?top_k=1 HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
               f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
    latencies, errors, left = [], Counter(), [requests]

    async def client():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while left[0] > 0:
                left[0] -= 1
                start = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                fields = dict(line.split(b":", 1) for line in head.lower().split(b"\r\n")[1:] if b":" in line)
                await reader.readexactly(int(fields[b"content-length"]))
                latencies.append(time.perf_counter() - start)
                status = int(head.split(b" ", 2)[1])
                if status != 200:
                    errors[f"HTTP {status}"] += 1
        except (OSError, asyncio.IncompleteReadError) as err:
            errors[type(err).__name__] += 1 + left[0] // concurrency  # this connection's share is lost
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    queue = json_.loads(urllib.request.urlopen(url + "/health", timeout=10).read())["queue"]
    ms = np.array(latencies) * 1000
    return {"throughput": len(latencies) / elapsed, "p50": float(np.percentile(ms, 50)),
            "p99": float(np.percentile(ms, 99)), "errors": sum(errors.values()), "error_kinds": dict(errors),
            "mean_batch": queue["mean_batch_size"]}


def memory(pid: int) -> dict:
    """Peak (VmHWM) and current (VmRSS) resident memory of a process, MB (Linux)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {key: int(fields[name].split()[0]) / 1024 for key, name in (("peak", "VmHWM"), ("rss", "VmRSS"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_config(model: str, backend: str, batching: str, requests: int, concurrency: int, rounds: int,
               pad: str = "on") -> dict:
    import httpx

    port, calibration = free_port(), Path(tempfile.mktemp(suffix=".json"))
    command = [sys.executable, __file__, "--serve", "--model", model, "--backend", backend, "--batching", batching,
               "--port", str(port), "--calibration", str(calibration), "--pad", pad]
    env = {**os.environ, "OMP_NUM_THREADS": str(THREADS)}
    server = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                return {"error": f"server did not start (exit {server.poll()})"}
            time.sleep(0.5)
        body, kind = payload(model)
        results = []
        for _ in range(rounds):
            results.append({**asyncio.run(load(url, body, kind, requests, concurrency)), **memory(server.pid)})
        alone = json.loads(calibration.read_text())
    finally:
        server.terminate()
        server.wait(timeout=30)
        calibration.unlink(missing_ok=True)
    return {"rounds": results, "alone": alone}


def row(model: str, backend: str, batching: str, result: dict) -> str:
    if "error" in result:
        return f"| {model} | {backend} | {batching} | error: {result['error']} | | | | | | |"
    rounds, alone = result["rounds"], result["alone"]
    second = rounds[-1]
    rss = " → ".join(f"{r['rss']:.0f}" for r in rounds)
    kinds = sum((Counter(r["error_kinds"]) for r in rounds), Counter())
    errors = f"{sum(kinds.values())}" + (f" ({', '.join(f'{n}× {k}' for k, n in kinds.items())})" if kinds else "")
    return (f"| {model} | {backend} | {batching} | {second['throughput']:.0f} | {second['p50']:.0f} / "
            f"{second['p99']:.0f} | {errors} | {second['peak']:.0f} | "
            f"{rss} | {second['mean_batch']:.1f} | "
            f"{alone['batch_1']:.0f} / {alone['batch_32']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per configuration, one server throughout")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--batchings", nargs="+", default=["on", "off"], choices=("on", "off"))
    parser.add_argument("--quick", action="store_true", help="200 requests per round; RESULTS.md untouched")
    parser.add_argument("--section", default="serve_load", help="the RESULTS.md section to write")
    parser.add_argument("--pad", default="on", choices=("on", "off"),
                        help="pad batches to powers of two (glassnet serve's default) or not")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    parser.add_argument("--model", default="mnist", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    parser.add_argument("--batching", default="on", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8000, help=argparse.SUPPRESS)
    parser.add_argument("--calibration", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args)
    requests = 200 if args.quick else args.requests
    table = ["| model | backend | batching | req/s | p50 / p99 (ms) | errors | peak RSS (MB) | RSS after each round "
             "(MB) | mean batch | model alone, samples/s at batch 1 / 32 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for model in args.models:
        for backend in args.backends:
            for batching in args.batchings:
                result = run_config(model, backend, batching, requests, args.concurrency, args.rounds, args.pad)
                table.append(row(model, backend, batching, result))
                print(table[-1], flush=True)
    start, end = markers(args.section)
    command = "GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/serve_load.py " + " ".join(sys.argv[1:])
    text = "\n".join([start, "## Serving under load: glassnet serve on loopback, CPU", "",
                      f"Command: `{command.strip()}` ({time.strftime('%Y-%m-%d %H:%M')}).  ",
                      f"{requests:,} image uploads per round at concurrency {args.concurrency}, {args.rounds} rounds "
                      "per row and server (the table shows the last round; errors count all); server: "
                      f"{THREADS} inference thread(s), batches {'padded' if args.pad == 'on' else 'NOT padded'} to "
                      "powers of two, "
                      "batches of up to 32 gathered for 5 ms, queue 1024. Targets: 0 errors, RSS not growing "
                      "between rounds, batching ≥ 2× unbatched for MobileNet. When req/s is far below the model "
                      "alone, HTTP handling (parsing, decoding, preprocessing), not the model, sets the limit. "
                      f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
                      "(about 2 is this benchmark alone).", "",
                      *table, "", end])
    print(text)
    if not args.quick:
        write_section(args.section, text)


if __name__ == "__main__":
    main()
