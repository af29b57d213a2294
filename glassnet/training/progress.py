"""The live progress bar of fit/evaluate/predict (rich), Keras-style.

verbose=1 shows a live bar per epoch in a terminal or notebook (loss, metrics,
samples/s) and one summary line per epoch elsewhere (CI logs); verbose=2 prints
only the line; verbose=0 is silent. Values are read from the device only when
the bar refreshes (a few times a second), never per step.
"""

from __future__ import annotations

import sys
import time
from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def format_logs(logs: dict[str, float]) -> str:
    """'loss: 0.1234 - accuracy: 0.9812', Keras' order and format.

    >>> format_logs({'loss': 0.5, 'accuracy': 0.75})
    'loss: 0.5000 - accuracy: 0.7500'
    """
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}" for k, v in logs.items())


def resolve_verbose(verbose) -> int:
    """'auto' -> 1."""
    return 1 if verbose == "auto" else int(verbose)


class ProgressBar:
    """One bar per epoch; ``update`` is cheap and refreshes at most every ``interval`` seconds."""

    def __init__(self, verbose, total_epochs: int | None, steps: int, interval: float = 0.25,
                 console: Console | None = None):
        self.verbose = resolve_verbose(verbose)
        self.total_epochs, self.steps, self.interval = total_epochs, steps, interval
        self.console = console or Console(file=sys.stdout)
        self.live = self.verbose == 1 and (self.console.is_terminal or self.console.is_jupyter)
        self._progress: Progress | None = None
        self._task = None
        self._last = 0.0
        self._start = 0.0

    def header(self, text: str) -> None:
        """One line before training (device, precision, data), shown unless silent."""
        if self.verbose >= 1:
            self.console.print(text, highlight=False, soft_wrap=True)

    def start(self, epoch: int | None, label: str | None = None) -> None:
        self._start = self._last = time.perf_counter()
        title = label or (f"Epoch {epoch + 1}/{self.total_epochs}" if epoch is not None else "")
        if self.live:
            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TimeElapsedColumn(), TextColumn("<"), TimeRemainingColumn(),
                                      TextColumn("{task.fields[logs]}"), console=self.console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(title, total=self.steps or None, logs="")
        self._title = title

    def due(self) -> bool:
        """True when a refresh is due (the caller then reads values from the device)."""
        return self.live and time.perf_counter() - self._last >= self.interval

    def update(self, step: int, read_logs: Callable[[], dict] | None = None) -> None:
        if not self.live:
            return
        now = time.perf_counter()
        if read_logs is not None and now - self._last >= self.interval:
            self._last = now
            self._progress.update(self._task, completed=step, logs=format_logs(read_logs()))

    def finish(self, logs: dict[str, float], samples: int) -> None:
        seconds = time.perf_counter() - self._start
        rate = f"{samples / seconds:,.0f} samples/s" if seconds > 0 and samples else ""
        text = " - ".join(part for part in (f"{seconds:.1f}s", rate, format_logs(logs)) if part)
        if self._progress is not None:  # the live bar gives way to the epoch's summary line
            self._progress.stop()
            self._progress = None
        if self.verbose >= 1:
            self.console.print(f"{self._title} - {text}" if self._title else text, highlight=False, soft_wrap=True)
