"""Batches per second: glassnet's on-device pipeline vs. torch.utils.data.DataLoader, MNIST and CIFAR-10.

Both read the same uint8 tensors and produce float32 batches of 128 (user layout) with labels.
Augmentation (CIFAR-10: random crop with 4-pixel reflect padding + horizontal flip; MNIST: random
translation by up to 2 pixels): glassnet augments whole batches on the device; the DataLoader
baseline applies the same transforms per sample in its Dataset, the usual torchvision pattern
(num_workers 0 and 2). Each figure: mean ± std over 5 timed epochs-slices after a warm-up.

    GLASSNET_DATA=../shared/data .venv/bin/python benchmarks/data_pipeline.py

Writes its section of benchmarks/RESULTS.md between the data_pipeline markers.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from glassnet.datasets import cifar10, from_arrays, mnist  # noqa: E402
from glassnet.layers import RandomCrop, RandomFlip, RandomTranslation  # noqa: E402
from glassnet.layers.base import Layer  # noqa: E402
from results import markers, write_section  # noqa: E402  (benchmarks/results.py)

BATCH, STEPS, REPEATS = 128, 60, 5
START, END = markers("data_pipeline")


class ReflectPad(Layer):
    """Pad NCHW images by ``pad`` pixels (reflect), for the crop-with-padding CIFAR augmentation."""

    def __init__(self, pad: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        return F.pad(x, (self.pad,) * 4, mode="reflect")


class PerSample(torch.utils.data.Dataset):
    """The DataLoader baseline: per-sample conversion and augmentation in __getitem__."""

    def __init__(self, x, y, augment: str | None):
        self.x, self.y, self.augment = x, y, augment

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        img = self.x[i].float()  # (H, W, C)
        if self.augment == "cifar":
            chw = F.pad(img.permute(2, 0, 1)[None], (4, 4, 4, 4), mode="reflect")[0]
            top, left = torch.randint(0, 9, (2,)).tolist()
            chw = chw[:, top:top + 32, left:left + 32]
            if torch.rand(()) < 0.5:
                chw = chw.flip(-1)
            img = chw.permute(1, 2, 0)
        elif self.augment == "mnist":
            dy, dx = torch.randint(-2, 3, (2,)).tolist()
            img = torch.roll(img, (dy, dx), (0, 1))
        return img, self.y[i].long()


def rate(iterable_factory) -> tuple[float, float]:
    """Batches/s over STEPS batches, REPEATS times after one warm-up pass."""
    def one():
        it = iter(iterable_factory())
        next(it)  # warm-up (worker start, first batch)
        t = time.perf_counter()
        for _ in range(STEPS):
            next(it)
        return STEPS / (time.perf_counter() - t)
    one()
    runs = [one() for _ in range(REPEATS)]
    return statistics.mean(runs), statistics.stdev(runs)


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(1)  # the 2-core machine is shared: one intra-op thread avoids oversubscription noise
    (mx, my), _ = mnist.load_data()
    (cx, cy), _ = cifar10.load_data()
    data = {"MNIST": (torch.from_numpy(mx)[..., None], torch.from_numpy(my)),
            "CIFAR-10": (torch.from_numpy(cx), torch.from_numpy(cy.ravel()))}  # Keras-style (N, 1) labels -> (N,)
    rows = []
    for name, (x, y) in data.items():
        kind = "cifar" if name == "CIFAR-10" else "mnist"
        aug_layers = ([ReflectPad(4), RandomCrop(32, 32, seed=0), RandomFlip("horizontal", seed=1)] if kind == "cifar"
                      else [RandomTranslation(2 / 28, 2 / 28, fill_mode="constant", seed=0)])
        for augment in (False, True):
            ds = from_arrays(x, y, batch_size=BATCH, seed=0, device="cpu")
            if augment:
                ds = ds.augment(*aug_layers)
            gn = rate(lambda: ds)
            results = {"glassnet": gn}
            for workers in (0, 2):
                dl_ds = PerSample(x, y, kind if augment else None)
                results[f"DataLoader w={workers}"] = rate(lambda: torch.utils.data.DataLoader(
                    dl_ds, batch_size=BATCH, shuffle=True, num_workers=workers, persistent_workers=False))
            best_dl = max(v[0] for k, v in results.items() if k != "glassnet")
            rows.append((name, "yes" if augment else "no", results, gn[0] / best_dl))
            print(name, augment, {k: f"{m:.0f}±{s:.0f}" for k, (m, s) in results.items()},
                  f"speed-up {gn[0] / best_dl:.1f}x", flush=True)
    write_results(rows)


def write_results(rows) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [START, "## Data pipeline: batches per second (CPU)", "",
             "Command: `GLASSNET_DATA=../shared/data .venv/bin/python benchmarks/data_pipeline.py`  ",
             f"Machine: {cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
             f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}.  ",
             f"Batch {BATCH}, float32 in user layout + int64 labels; mean ± std of {REPEATS} runs of {STEPS} "
             "batches after a warm-up. Augmentation: CIFAR-10 reflect-pad 4 + random 32x32 crop + horizontal "
             "flip; MNIST random translation ±2 px. glassnet augments whole batches on the device; the "
             "DataLoader baseline does the same per sample in `__getitem__` (the torchvision pattern). "
             f"torch.set_num_threads(1) on both sides; load average at the end: {os.getloadavg()[0]:.1f}.", "",
             "| data | augmentation | glassnet | DataLoader (0 workers) | DataLoader (2 workers) | glassnet / best DataLoader |",
             "|---|---|---|---|---|---|"]
    for name, aug, res, ratio in rows:
        cells = [f"{res[k][0]:,.0f} ± {res[k][1]:,.0f}" for k in ("glassnet", "DataLoader w=0", "DataLoader w=2")]
        lines.append(f"| {name} | {aug} | {' | '.join(cells)} | {ratio:.1f}× |")
    lines.append(END)
    write_section("data_pipeline", "\n".join(lines))

if __name__ == "__main__":
    main()
