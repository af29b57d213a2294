"""Data-parallel fit: MNIST convnet samples/s with 1 and 2 processes under torchrun (1 thread each).

    GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/distributed_speed.py [--epochs 2]

Each configuration is ``torchrun --standalone --nproc-per-node N`` running this file with ``--worker``:
every process trains the Keras MNIST convnet of ``fit_speed.py`` with ``glassnet fit`` (global batch 128,
Adam 1e-3, 1 CPU thread, gloo on the CPU; nccl on GPUs when there are some) for 1 warm-up epoch and
``--epochs`` timed ones; rank 0 reports. Writes the ``distributed_speed`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fit_speed import prepare_data  # benchmarks/fit_speed.py
from fit_workers import glassnet_epoch_timer
from results import markers, write_section

BATCH, LR = 128, 1e-3


def worker(data: str, epochs: int) -> None:
    import numpy as np
    import torch

    import glassnet
    from glassnet.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

    torch.set_num_threads(1)
    arrays = np.load(data)
    x, y = arrays["x_train"].reshape(-1, 28, 28, 1), arrays["y_train"]
    glassnet.utils.set_random_seed(0)
    model = glassnet.Sequential([glassnet.Input(shape=(28, 28, 1)), Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
                                 Conv2D(64, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dropout(0.5),
                                 Dense(10, activation="softmax")])
    model.compile(optimizer=glassnet.optimizers.Adam(LR), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    timer = glassnet_epoch_timer()
    history = model.fit(x, y, batch_size=BATCH, epochs=1 + epochs, verbose=0, callbacks=[timer])
    accuracy = model.evaluate(arrays["x_test"].reshape(-1, 28, 28, 1), arrays["y_test"], batch_size=1000,
                              verbose=0, return_dict=True)["accuracy"]
    if int(os.environ.get("RANK", "0")) == 0:
        print("RESULT " + json.dumps({"times": timer.times, "samples": len(x), "accuracy": accuracy,
                                      "loss": history.history["loss"][-1]}), flush=True)


def run(nproc: int, data: Path, epochs: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLASSNET_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               __file__, "--worker", str(data), "--epochs", str(epochs)]
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
    return json.loads(lines[-1][len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after 1 warm-up epoch)")
    parser.add_argument("--quick", action="store_true", help="smoke run on 8,192 samples; RESULTS.md untouched")
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.epochs)
    import torch
    rows = ["| processes × threads | epoch (s) | samples/s | speed-up | test accuracy |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        data = prepare_data(Path(folder), args.quick)
        base = None
        for nproc in (1, 2):
            result = run(nproc, data, args.epochs)
            print(nproc, result, flush=True)
            if "error" in result:
                rows.append(f"| {nproc} × 1 | error: {result['error']} | | | |")
                continue
            epoch = statistics.mean(result["times"][1:])
            speed = result["samples"] / epoch
            base = base or speed
            rows.append(f"| {nproc} × 1 | {epoch:.2f} | {speed:,.0f} | {speed / base:.2f}× | {result['accuracy']:.4f} |")
    gpu = ("GPU: not run — no GPU on this machine (the same script uses nccl when torchrun's processes see CUDA)."
           if not torch.cuda.is_available() else f"GPU: {torch.cuda.get_device_name()}.")
    start, end = markers("distributed_speed")
    command = "GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/distributed_speed.py " + " ".join(sys.argv[1:])
    text = "\n".join([start, "## Data-parallel fit: MNIST convnet, torchrun on the CPU (gloo)", "",
                      f"Command: `{command.strip()}` ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores).  ",
                      f"Global batch {BATCH}, Adam {LR}, 1 thread per process, 60,000 samples; 1 warm-up epoch then "
                      f"{args.epochs} timed epoch(s); epoch time measured on rank 0. {gpu}", "", *rows, "", end])
    print(text)
    if not args.quick:
        write_section("distributed_speed", text)


if __name__ == "__main__":
    main()
