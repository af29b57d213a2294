"""How OpenMP's wait policy and the thread count hold up when the machine is shared.

    .venv/bin/python benchmarks/thread_policy.py [--steps 300]

Learners run glassnet on shared course servers, next to notebooks and browsers. PyTorch's CPU
kernels run on OpenMP threads that, by default, spin-wait between parallel regions; when another
process takes a core, a spinning thread burns the time slice its partner needs and small steps
collapse. This measures one training step (forward, backward, Adam) of two models — the 784-64-10
MLP at batch 32 (many tiny parallel regions) and the Keras MNIST convnet at batch 128 — under each
setting, on an idle machine and beside one busy competing process (a pure-Python loop, pinned
nowhere), each setting in a fresh process (the policy is read once, when OpenMP starts). Writes its
section of benchmarks/RESULTS.md; glassnet's import-time default is chosen from it
(``glassnet/threads.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results import markers, write_section  # benchmarks/results.py

SETTINGS = {
    "torch default (2 threads, spin)": {},
    "OMP_WAIT_POLICY=PASSIVE (2 threads)": {"OMP_WAIT_POLICY": "PASSIVE"},
    "GOMP_SPINCOUNT=10000 (2 threads)": {"GOMP_SPINCOUNT": "10000"},
    "1 thread": {"OMP_NUM_THREADS": "1"},
}
START, END = markers("thread_policy")

WORKER = r"""
import json, os, statistics, sys, time
import torch
torch.manual_seed(0)
model_name, steps = sys.argv[1], int(sys.argv[2])
if model_name == "mlp":
    net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    x, batch = torch.rand(32, 784), 32
else:
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Dropout(0.5), torch.nn.Linear(1600, 10))
    net = net.to(memory_format=torch.channels_last)
    x, batch = torch.rand(128, 1, 28, 28).contiguous(memory_format=torch.channels_last), 128
y = torch.randint(0, 10, (batch,))
opt = torch.optim.Adam(net.parameters(), fused=True)
times = []
for i in range(steps + 20):
    start = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.cross_entropy(net(x), y).backward()
    opt.step()
    if i >= 20:
        times.append(time.perf_counter() - start)
print("RESULT " + json.dumps({"median_ms": 1000 * statistics.median(times), "threads": torch.get_num_threads()}))
"""


def measure(env_extra: dict, model: str, steps: int) -> dict:
    env = dict(os.environ, **env_extra)
    for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS"):
        if key not in env_extra:
            env.pop(key, None)
    out = subprocess.run([sys.executable, "-c", WORKER, model, str(steps)], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(next(l for l in out.splitlines() if l.startswith("RESULT "))[7:])


def competitor() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    results: dict[tuple, list[float]] = {}
    for repeat in range(args.repeats):
        for loaded in (False, True):
            busy = competitor() if loaded else None
            try:
                time.sleep(0.5 if loaded else 0)
                for label, env in SETTINGS.items():
                    for model in ("mlp", "cnn"):
                        value = measure(env, model, args.steps)["median_ms"]
                        results.setdefault((label, model, loaded), []).append(value)
                        print(f"[{repeat + 1}] {'loaded' if loaded else 'idle'} {model} {label}: {value:.2f} ms",
                              flush=True)
            finally:
                if busy is not None:
                    busy.kill()
    lines = [START, "## Thread policy on a shared machine: one training step (ms, median)", "",
             f"Command: `.venv/bin/python benchmarks/thread_policy.py --steps {args.steps} --repeats {args.repeats}`  ",
             f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}. Plain torch steps (forward, backward, fused "
             "Adam) in a fresh process per setting; median of the per-step times, mean over repeats. Loaded: one "
             "busy pure-Python process runs beside it.", "",
             "| setting | MLP 784-64-10, batch 32: idle | loaded | convnet, batch 128: idle | loaded |",
             "|---|---|---|---|---|"]
    for label in SETTINGS:
        cells = [f"{statistics.mean(results[(label, m, l)]):.2f}" for m in ("mlp", "cnn") for l in (False, True)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(END)
    text = "\n".join(lines)
    print(text)
    write_section("thread_policy", text)


if __name__ == "__main__":
    main()
