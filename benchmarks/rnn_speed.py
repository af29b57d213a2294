"""Recurrent training speed: glassnet ``fit`` against a hand-written PyTorch loop and Keras 3 on TensorFlow.

    GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/rnn_speed.py [--repeats 2] [--quick]

Two models from glassnet's worked examples (``glassnet/examples/sequences.py``), the same in
every framework:

* ``sentiment``: Embedding(4000, 32) -> LSTM(32) -> Dense(1, sigmoid) on the 2,400 training
  sentences of Sentiment Labelled Sentences, 40 token ids per sentence (padded in front, so no
  mask is needed and every framework runs its fused kernel), batch 32, binary crossentropy;
* ``charlm``: Embedding(65, 32) -> LSTM(128, return_sequences) -> Dense(65) on 64-character
  windows of Tiny Shakespeare (the first 300,000 characters), batch 64, sparse categorical
  crossentropy from logits.

Adam 1e-3, float32, 2 threads, seed 0. Each configuration runs in its own process (this file
with ``--worker``; the Keras one under ``--peer-python``, default ``.venv-bench/bin/python``);
one warm-up epoch is excluded, the timed epochs of all repeats give mean ± std. The CPU time
other processes used meanwhile is reported (timings beside other work are not comparable).
``--competitors N`` runs every configuration beside N busy pure-Python processes (a shared course
server) and writes the ``rnn_speed_loaded`` section instead.
Writes its section of ``benchmarks/RESULTS.md`` (not with ``--quick``: 1/8 of the data, 1 epoch).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fit_workers import epoch_timer

ROOT = Path(__file__).resolve().parents[1]
THREADS, LR, SEED = 2, 1e-3, 0
MODELS = {"sentiment": dict(vocab=4000, embed=32, units=32, length=40, batch=32, sequences=False),
          "charlm": dict(vocab=65, embed=32, units=128, length=64, batch=64, sequences=True)}
CONFIGS = ["glassnet", "torch", "keras-tf"]
LABELS = {"glassnet": "glassnet fit", "torch": "hand-written torch loop", "keras-tf": "Keras 3 on TensorFlow"}


# ---------------------------------------------------------------------------- data (main process)
def prepare_data(folder: Path, quick: bool) -> Path:
    """Both models' int64 arrays in one .npz (the workers need no glassnet to read them)."""
    sys.path.insert(0, str(ROOT))
    from glassnet.datasets import sentiment_sentences, shakespeare
    from glassnet.layers import StringLookup, TextVectorization
    from glassnet.utils import pad_sequences

    (x_train, y_train), _ = sentiment_sentences.load_data()
    vectorize = TextVectorization(max_tokens=MODELS["sentiment"]["vocab"])
    vectorize.adapt(x_train)
    ids = [[int(i) for i in row if i] for row in vectorize(x_train).numpy()]
    sentences = pad_sequences(ids, maxlen=MODELS["sentiment"]["length"]).astype(np.int64)
    text = shakespeare.load_data()[:300_000]
    lookup = StringLookup(num_oov_indices=0)
    lookup.adapt(np.array(list(text), dtype=object).reshape(1, -1))
    chars = lookup(np.array(list(text), dtype=object)).numpy()
    n = (len(chars) - 1) // MODELS["charlm"]["length"] * MODELS["charlm"]["length"]
    x_chars = chars[:n].reshape(-1, MODELS["charlm"]["length"])
    y_chars = chars[1:n + 1].reshape(-1, MODELS["charlm"]["length"])
    if quick:
        sentences, y_train, x_chars, y_chars = (a[:len(a) // 8] for a in (sentences, y_train, x_chars, y_chars))
    path = folder / "rnn.npz"
    np.savez(path, sentiment_x=sentences, sentiment_y=y_train.astype(np.float32)[:, None], charlm_x=x_chars,
             charlm_y=y_chars.astype(np.int64))
    return path


# ---------------------------------------------------------------------------- workers (own process each)
def _load(data: str, model: str) -> tuple[np.ndarray, np.ndarray]:
    arrays = np.load(data)
    return arrays[f"{model}_x"], arrays[f"{model}_y"]


def run_glassnet(model: str, data: str, epochs: int) -> list[float]:
    import glassnet
    import torch
    from glassnet import layers
    from glassnet.callbacks import Callback

    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    spec, (x, y) = MODELS[model], _load(data, model)
    net = glassnet.Sequential([layers.Embedding(spec["vocab"], spec["embed"]),
                               layers.LSTM(spec["units"], return_sequences=spec["sequences"]),
                               layers.Dense(spec["vocab"] if spec["sequences"] else 1,
                                            activation=None if spec["sequences"] else "sigmoid")])
    loss = (glassnet.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["sequences"]
            else "binary_crossentropy")
    net.compile(optimizer=glassnet.optimizers.Adam(LR), loss=loss, precision="float32")
    timer = epoch_timer(Callback)
    net.fit(x, y, batch_size=spec["batch"], epochs=epochs + 1, verbose=0, callbacks=[timer])
    return timer.times


def run_torch(model: str, data: str, epochs: int) -> list[float]:
    import torch
    from torch import nn

    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    spec, (x, y) = MODELS[model], _load(data, model)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(spec["vocab"], spec["embed"])
            self.lstm = nn.LSTM(spec["embed"], spec["units"], batch_first=True)
            self.head = nn.Linear(spec["units"], spec["vocab"] if spec["sequences"] else 1)

        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.head(out if spec["sequences"] else out[:, -1])

    net = Net()
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss() if spec["sequences"] else nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        total = torch.zeros(())
        for lo in range(0, len(xt), spec["batch"]):
            index = order[lo:lo + spec["batch"]]
            logits = net(xt[index])
            target = yt[index]
            loss = loss_fn(logits.reshape(-1, spec["vocab"]), target.reshape(-1)) if spec["sequences"] \
                else loss_fn(logits, target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        float(total)  # the epoch's loss, read once
        times.append(time.perf_counter() - start)
    return times


def run_keras(model: str, data: str, epochs: int) -> list[float]:
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    keras.utils.set_random_seed(SEED)
    spec, (x, y) = MODELS[model], _load(data, model)
    net = keras.Sequential([keras.Input((spec["length"],), dtype="int64"),
                            keras.layers.Embedding(spec["vocab"], spec["embed"]),
                            keras.layers.LSTM(spec["units"], return_sequences=spec["sequences"]),
                            keras.layers.Dense(spec["vocab"] if spec["sequences"] else 1,
                                               activation=None if spec["sequences"] else "sigmoid")])
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True) if spec["sequences"]
            else "binary_crossentropy")
    net.compile(optimizer=keras.optimizers.Adam(LR), loss=loss)
    timer = epoch_timer(keras.callbacks.Callback)
    net.fit(x, y, batch_size=spec["batch"], epochs=epochs + 1, verbose=0, callbacks=[timer])
    return timer.times


def worker(config: str, model: str, data: str, epochs: int) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from fit_workers import tune_malloc  # the same allocator settings for every configuration
    tuned = tune_malloc()
    times = {"glassnet": run_glassnet, "torch": run_torch, "keras-tf": run_keras}[config](model, data, epochs)
    print("RESULT " + json.dumps({"config": config, "model": model, "times": times, "malloc_tuned": tuned}))


# ---------------------------------------------------------------------------- orchestration
def run_config(python: str, config: str, model: str, data: Path, epochs: int, competitors: int = 0) -> dict:
    from fit_speed import busy_jiffies, start_competitors
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore",
               GLASSNET_THREADS=str(THREADS))  # glassnet pinned to the same thread count as the others
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = start_competitors(competitors)
    before, started = busy_jiffies(), time.perf_counter()
    try:
        proc = subprocess.run([python, __file__, "--worker", config, model, str(data), str(epochs)], env=env,
                              capture_output=True, text=True)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"config": config, "model": model, "error": " / ".join(tail)[-300:]}
    result = json.loads(lines[-1][len("RESULT "):])
    others = max(0.0, (busy_jiffies() - before) / os.sysconf("SC_CLK_TCK") - ours) / wall
    result["other_load"] = max(0.0, others - competitors)  # the load added on purpose is stated separately
    return result


def summarise(results: list[dict]) -> dict:
    ok = [r for r in results if "error" not in r]
    if not ok:
        return {"error": results[-1]["error"]}
    timed = [t for r in ok for t in r["times"][1:]]
    return {"mean": statistics.mean(timed), "std": statistics.stdev(timed) if len(timed) > 1 else 0.0,
            "other_load": max(r["other_load"] for r in ok)}


def report(summary: dict, configs: list[str], skipped: dict, epochs: int, repeats: int, competitors: int = 0) -> str:
    from fit_speed import _cpu_name
    from results import markers
    start, end = markers(section_name(competitors))
    beside = f", beside {competitors} busy process(es) (a shared machine)" if competitors else ""
    added = (f" Load added on purpose: {competitors} busy pure-Python process(es) beside every configuration; "
             "'other load' counts only load beyond them." if competitors else "")
    command = " ".join(["benchmarks/rnn_speed.py", *sys.argv[1:]])
    lines = [start, f"## Recurrent training speed (`benchmarks/rnn_speed.py`){beside}", "",
             f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M')}).  ",
             f"CPU: {_cpu_name()}, {THREADS} threads; {repeats} repeat(s) × {epochs} timed epoch(s) after a "
             f"warm-up epoch; float32, Adam 1e-3, seed 0.{added}", ""]
    for model in [m for m in MODELS if any(key[1] == m for key in summary)]:
        torch_time = summary.get(("torch", model), {}).get("mean")
        lines += [f"**{model}** ({MODELS[model]})", "", "| configuration | s / epoch | vs torch loop | "
                  "other load (cores) |", "|---|---|---|---|"]
        for config in configs:
            if config in skipped:
                lines.append(f"| {LABELS[config]} | not run: {skipped[config]} | | |")
                continue
            s = summary[(config, model)]
            if "error" in s:
                lines.append(f"| {LABELS[config]} | failed: {s['error']} | | |")
                continue
            ratio = f"{s['mean'] / torch_time:.2f}×" if torch_time else "–"
            lines.append(f"| {LABELS[config]} | {s['mean']:.2f} ± {s['std']:.2f} | {ratio} | "
                         f"{s['other_load']:.2f} |")
        lines.append("")
    return "\n".join(lines + [end])


def section_name(competitors: int) -> str:
    """The RESULTS.md section: 'rnn_speed' idle, 'rnn_speed_loaded' beside busy processes."""
    return "rnn_speed_loaded" if competitors else "rnn_speed"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from fit_speed import peer_available
    from results import write_section
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1/8 of the data, 1 timed epoch")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run (after 1 warm-up epoch)")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs of every configuration")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--only", default=None, help="comma-separated configurations (default: all)")
    parser.add_argument("--competitors", type=int, default=0, help="busy processes beside every configuration")
    default_peer = ROOT / ".venv-bench" / "bin" / "python"
    parser.add_argument("--peer-python", default=str(default_peer) if default_peer.exists() else None)
    args = parser.parse_args()
    epochs = 1 if args.quick else args.epochs
    configs = args.only.split(",") if args.only else CONFIGS
    skipped = {c: why for c in configs if c == "keras-tf" and (why := peer_available(args.peer_python, c))}
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        data = prepare_data(Path(folder), args.quick)
        for repeat in range(args.repeats):
            for model in args.models.split(","):
                for config in (c for c in configs if c not in skipped):
                    python = args.peer_python if config == "keras-tf" else sys.executable
                    result = run_config(python, config, model, data, epochs, args.competitors)
                    results.setdefault((config, model), []).append(result)
                    shown = result.get("error") or [round(t, 2) for t in result["times"]]
                    print(f"[{repeat + 1}/{args.repeats}] {model} {config}: {shown}", flush=True)
    text = report({k: summarise(v) for k, v in results.items()}, configs, skipped, epochs, args.repeats,
                  args.competitors)
    print(text)
    if not args.quick:
        write_section(section_name(args.competitors), text)


if __name__ == "__main__":
    main()
