"""What watching costs: MNIST convnet epochs with and without ``fit(..., diagnose=True)``.

    GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/monitor_overhead.py [--repeats 3]

The Keras MNIST convnet of ``fit_speed.py`` (same data, batch 128, Adam, 2 threads, each run in its own
process through ``fit_workers.py``) trained by glassnet ``fit`` as it is (``glassnet``) and with the
Monitor at its default sampling (``glassnet-monitor``: about 4 sampled steps per epoch), interleaved,
idle and then beside ``--competitors`` busy processes. Target: the monitored epoch at most 5% slower.
Writes the ``monitor_overhead`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from fit_speed import prepare_data, run_config, summarise  # benchmarks/fit_speed.py
from results import markers, write_section

CONFIGS = ("glassnet", "glassnet-monitor")
TARGET = 1.05


def measure(data: Path, epochs: int, repeats: int, competitors: int) -> dict[str, dict]:
    """Interleaved runs of both configurations; the pooled timed epochs of each."""
    results: dict[str, list[dict]] = {c: [] for c in CONFIGS}
    for repeat in range(repeats):
        for config in CONFIGS:
            result = run_config(sys.executable, config, "cnn", data, epochs, competitors)
            results[config].append(result)
            print(f"[{repeat + 1}/{repeats}, {competitors} busy] {config}: "
                  f"{result.get('times', result.get('error'))}", flush=True)
    return {config: summarise(runs) for config, runs in results.items()}


def rows(summary: dict[str, dict], load: str) -> list[str]:
    base, watched = summary["glassnet"], summary["glassnet-monitor"]
    if "error" in base or "error" in watched:
        return [f"| {load} | error: {base.get('error') or watched.get('error')} | | | |"]
    ratio = watched["mean"] / base["mean"]
    verdict = "met" if ratio <= TARGET else "missed"
    return [f"| {load} | {base['mean']:.2f} ± {base['std']:.2f} | {watched['mean']:.2f} ± {watched['std']:.2f} "
            f"| {ratio:.3f}× | **{verdict}** |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per run (after 1 warm-up epoch)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--competitors", type=int, default=2, help="busy processes for the loaded runs (0: skip)")
    parser.add_argument("--quick", action="store_true", help="smoke run on 8,192 samples; RESULTS.md untouched")
    args = parser.parse_args()
    table = ["| machine | epoch, fit (s) | epoch, fit(diagnose=True) (s) | ratio | ≤ 5% |", "|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        data = prepare_data(Path(folder), args.quick)
        table += rows(measure(data, args.epochs, args.repeats, 0), "idle")
        if args.competitors:
            table += rows(measure(data, args.epochs, args.repeats, args.competitors),
                          f"{args.competitors} busy processes beside it")
    start, end = markers("monitor_overhead")
    command = "GLASSNET_DATA=/work/shared/data .venv/bin/python benchmarks/monitor_overhead.py " + " ".join(sys.argv[1:])
    text = "\n".join([start, "## Monitor overhead: MNIST convnet, CPU", "",
                      f"Command: `{command.strip()}` ({time.strftime('%Y-%m-%d %H:%M')}).  ",
                      f"60,000 samples, batch 128, Adam, 2 threads; 1 warm-up epoch then {args.epochs} timed "
                      f"epoch(s) × {args.repeats} interleaved run(s) per configuration (mean ± std). The Monitor "
                      "samples its default ~4 steps per epoch (hooks on every weighted layer for those steps only). "
                      "Without it the loop is unchanged: the `fit_speed` rows are the same code path.", "",
                      *table, "", end])
    print(text)
    if not args.quick:
        write_section("monitor_overhead", text)


if __name__ == "__main__":
    main()
