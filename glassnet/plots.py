"""Pictures of training: learning curves as PNG files.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), 'curves.png')
>>> plot_history({'loss': [1.0, 0.5], 'val_loss': [1.1, 0.7]}, path)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files, not windows: works headless and in CI
import matplotlib.pyplot as plt  # noqa: E402

from glassnet.io import atomic_path  # noqa: E402


def plot_history(history: Any, path: str | Path, title: str = "Learning curves") -> None:
    """Plot each metric's training curve beside its validation curve (one panel per metric).

    ``history`` is a ``History`` or its ``.history`` dict.
    """
    logs = getattr(history, "history", history)
    metrics = [k for k in logs if not k.startswith("val_")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, name in zip(axes[0], metrics):
        epochs = range(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], "o-", label=f"train {name}")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], "s--", label=f"validation {name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
