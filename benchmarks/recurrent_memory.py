"""How far back can SimpleRNN, LSTM and GRU remember? The README's picture (docs/images/recurrent_memory.png).

Task: the first step of a sequence is +1 or -1, every later step is noise; the label is the sign of
the first step. The longer the sequence, the more steps the gradient must flow back through. Each
layer (16 units, then Dense(1, sigmoid)) trains with Adam on the same data; we report held-out
accuracy per sequence length.

    python benchmarks/recurrent_memory.py [--lengths 10 25 50] [--samples 3000] [--epochs 20]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import glassnet
from glassnet import layers

KINDS = {"SimpleRNN": layers.SimpleRNN, "LSTM": layers.LSTM, "GRU": layers.GRU}


def task(length: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequences whose label is the sign of their first step; later steps are N(0, 1) noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, length, 1)).astype("float32")
    sign = rng.choice([-1.0, 1.0], size=samples).astype("float32")
    x[:, 0, 0] = sign
    return x, (sign > 0).astype("float32")


def accuracy(kind: str, length: int, samples: int, epochs: int, seed: int = 0) -> float:
    torch.manual_seed(seed)
    x, y = task(length, samples, seed)
    split = int(0.8 * samples)
    model = glassnet.models.Sequential([glassnet.Input(shape=(length, 1)), KINDS[kind](16),
                                        layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:split], y[:split], epochs=epochs, batch_size=32, verbose=0)
    return float(model.evaluate(x[split:], y[split:], verbose=0, return_dict=True)["accuracy"])


def plot(lengths: list[int], results: dict[str, list[float]], out: str) -> None:
    """Held-out accuracy against sequence length, one line per layer kind."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for kind, values in results.items():
        ax.plot(lengths, values, marker="o", label=kind)
    ax.axhline(0.5, color="grey", linestyle=":", label="chance")
    ax.set(xlabel="sequence length (steps between the clue and the answer)", ylabel="held-out accuracy",
           title="Remember the first step (16 units, same data and training)", ylim=(0.4, 1.02), xscale="log")
    ax.minorticks_off()
    ax.set_xticks(lengths, [str(n) for n in lengths])
    ax.legend()
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print("wrote", out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="docs/images/recurrent_memory.png")
    args = parser.parse_args()
    results = {kind: [accuracy(kind, n, args.samples, args.epochs) for n in args.lengths] for kind in KINDS}
    print(json.dumps({"lengths": args.lengths, **results}))
    plot(args.lengths, results, args.out)


if __name__ == "__main__":
    main()
