"""The learning-rate finder: an exponential sweep of the learning rate, one batch per step.

Leslie Smith's range test, as fastai and PyTorch Lightning run it: train on one batch
per step while the learning rate grows from ``start`` to ``end`` by a constant factor,
record the loss, smooth it, and stop once it explodes. The loss first barely moves
(the rate is too small), then falls fast (a good rate), then blows up (too large).
:func:`lr_find` suggests the rate where the smoothed loss falls fastest ("steepest")
and fastai's "valley" rate; the model and its compiled optimizer are left exactly as
they were (weights, batch-norm statistics, modes, optimizer state, random generators).

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> model = Sequential([Dense(1, input_dim=2)]); model.compile(optimizer='sgd', loss='mse')
>>> x = np.random.default_rng(0).normal(size=(64, 2)); y = x.sum(axis=1, keepdims=True)
>>> result = lr_find(model, x, y, steps=30, batch_size=16)
>>> 1e-7 <= result.suggestion <= 10
True
"""

from __future__ import annotations

import collections.abc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch
from matplotlib.figure import Figure

from glassnet.plots import figure_png, save_figure
from glassnet import constraints, optimizers
from glassnet.errors import InvalidArgumentError, NotCompiledError
from glassnet.modes import training_mode
from glassnet.training import resume, run
from glassnet.training.data import make_data
from glassnet.training.steps import unpack


@dataclass
class LRFinderResult:
    """What :func:`lr_find` measured: per step the learning rate, the raw loss and the smoothed
    loss; the suggested rates ``suggestion`` (steepest descent of the smoothed loss) and
    ``valley`` (fastai's rule); ``stopped_early`` when the loss diverged before ``end``.

    >>> r = LRFinderResult([1e-3, 1e-2], [2.0, 1.0], [2.0, 1.5], 1e-3, 1e-3, False)
    >>> str(r).splitlines()[0]
    'Learning-rate finder: 2 steps from 0.001 to 0.01 (full sweep)'
    """

    learning_rates: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float | None
    valley: float | None
    stopped_early: bool = False
    skip: tuple[int, int] = field(default=(0, 0), repr=False)

    def plot(self, path: str | Path | None = None) -> Figure:
        """Smoothed (and raw) loss against the learning rate on a log axis, the suggestions marked;
        saved as a PNG at ``path`` when given. Returns the matplotlib ``Figure``.

        >>> r = LRFinderResult([1e-3, 1e-2, 1e-1], [2.0, 1.0, 3.0], [2.0, 1.5, 2.0], 1e-2, 1e-2)
        >>> r.plot().axes[0].get_xscale()
        'log'
        """
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        ax.plot(self.learning_rates, self.losses, color="0.75", lw=1, label="loss")
        ax.plot(self.learning_rates, self.smoothed, color="C0", lw=2, label="smoothed loss")
        for value, name, color in ((self.suggestion, "steepest", "C3"), (self.valley, "valley", "C2")):
            if value is not None:
                i = int(np.argmin(np.abs(np.log(self.learning_rates) - np.log(value))))
                ax.plot([value], [self.smoothed[i]], "o", color=color, ms=8, label=f"{name}: {value:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("loss")
        finite = [v for v in [*self.smoothed, *self.losses] if np.isfinite(v)]
        if finite and np.isfinite(self.smoothed[0]):  # keep the explosion from squashing the descent
            low, high = min(finite), max(self.smoothed[0], min(finite))
            margin = 0.1 * (high - low) + 1e-12
            ax.set_ylim(low - margin, high + 3 * margin)
        ax.grid(alpha=0.3)
        ax.legend()
        ax.set_title("Learning-rate finder")
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path, close=False)  # a Figure of its own, not pyplot's: nothing to release
        return fig

    def __str__(self) -> str:
        end = "stopped early: the loss diverged" if self.stopped_early else "full sweep"
        lines = [f"Learning-rate finder: {len(self.learning_rates)} steps from {self.learning_rates[0]:.2g} "
                 f"to {self.learning_rates[-1]:.2g} ({end})"]
        lines.append(f"  steepest descent: {_fmt(self.suggestion)}   (the loss falls fastest here)")
        lines.append(f"  valley:           {_fmt(self.valley)}   (fastai's rule: middle of the longest descent)")
        lines.append("  Pick a rate near these, below where the loss turns up: model.optimizer.learning_rate = ...")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return ("| learning-rate finder | value |\n|---|---|\n"
                f"| steps | {len(self.learning_rates)}{' (stopped early: the loss diverged)' if self.stopped_early else ''} |\n"
                f"| steepest descent | {_fmt(self.suggestion)} |\n| valley | {_fmt(self.valley)} |\n")

    def _repr_png_(self) -> bytes:
        return figure_png(self.plot(), close=False)


def _fmt(value: float | None) -> str:
    return "none (too few points)" if value is None else f"{value:.2e}"


def lr_find(model: Any, x: Any, y: Any = None, *, start: float = 1e-7, end: float = 10.0, steps: int = 100,
            batch_size: int = 32, smooth: float = 0.98, diverge: float = 4.0) -> LRFinderResult:
    """Sweep the learning rate exponentially from ``start`` to ``end`` over at most ``steps`` batches
    (``lr_i = start * (end / start) ** (i / (steps - 1))``), training ``model`` with a throwaway copy of
    its compiled optimizer (same class and settings, fresh state) and its compiled loss; stop once the
    smoothed loss exceeds ``diverge`` times its best. The model's weights and buffers, training modes,
    the compiled optimizer and the random generators are restored afterwards. ``x``/``y`` as in ``fit``;
    arrays and datasets are reused pass after pass, a generator is read once (the sweep ends with it).

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Dense
    >>> lr_find(Sequential([Dense(1, input_dim=2)]), np.zeros((4, 2)), np.zeros((4, 1)))
    Traceback (most recent call last):
    ...
    glassnet.errors.NotCompiledError: lr_find needs a compiled model: it uses the compiled loss and optimizer class. Call e.g. model.compile(optimizer='adam', loss='sparse_categorical_crossentropy') first.
    """
    config = getattr(model, "compiled", None)
    if config is None:
        raise NotCompiledError("lr_find needs a compiled model: it uses the compiled loss and optimizer class. "
                               "Call e.g. model.compile(optimizer='adam', loss='sparse_categorical_crossentropy') "
                               "first.")
    _check_arguments(start, end, steps, smooth, diverge)
    data = make_data(x, y, None, batch_size, config.device)
    pending, config.pending_optimizer_state = config.pending_optimizer_state, None
    try:  # place and build the model (never binding or loading the compiled optimizer)
        run.prepare(model, config, data.example(), training=False)
    finally:
        config.pending_optimizer_state = pending
    saved = _snapshot(model)
    try:
        with training_mode(model, True):
            rates, raw, smoothed, stopped = _sweep(model, data, start, end, steps, smooth, diverge)
    finally:
        _restore(model, saved)
    skip = (min(10, len(smoothed) // 5), 1 if len(smoothed) > 5 else 0)
    return LRFinderResult(rates, raw, smoothed, steepest(rates, smoothed, skip), valley(rates, smoothed),
                          stopped, skip)


def _check_arguments(start: float, end: float, steps: int, smooth: float, diverge: float) -> None:
    if not 0 < start < end:
        raise InvalidArgumentError(f"lr_find needs 0 < start < end, got start={start}, end={end}: the sweep "
                                   "grows the learning rate from start to end.")
    if int(steps) != steps or steps < 2:
        raise InvalidArgumentError(f"lr_find needs steps >= 2 (a whole number of batches), got {steps}.")
    if not 0 <= smooth < 1:
        raise InvalidArgumentError(f"lr_find's smooth must be in [0, 1) (the weight of the running average), "
                                   f"got {smooth}.")
    if diverge <= 1:
        raise InvalidArgumentError(f"lr_find's diverge must be > 1 (stop when the smoothed loss exceeds "
                                   f"diverge x its best), got {diverge}.")


def _endless(data: Any, seed: int) -> Iterator[tuple]:
    """Batches pass after pass; a one-pass source (a generator, an iterator) ends after its pass."""
    one_pass = isinstance(getattr(data, "source", None), collections.abc.Iterator)
    epoch = 0
    while True:
        yield from data.batches(epoch, True, seed)
        if one_pass:
            return
        epoch += 1


def _sweep(model: Any, data: Any, start: float, end: float, steps: int, smooth: float, diverge: float):
    config = model.compiled
    optimizer = optimizers.deserialize(optimizers.serialize(config.optimizer))  # same class and settings
    optimizer.learning_rate = start  # a constant per step, also when the compiled one is a schedule
    optimizer.bind(run.trainable_parameters(model))
    rates, raw, smoothed = [], [], []
    average, best = 0.0, float("inf")
    batches = _endless(data, int(torch.randint(0, 2**31 - 1, ()).item()))
    for i in range(steps):
        lr = start * (end / start) ** (i / (steps - 1))
        batch = next(batches, None)
        if batch is None:  # a generator ran out
            break
        optimizer.learning_rate = lr
        loss = _train_batch(model, optimizer, batch)
        average = smooth * average + (1 - smooth) * loss
        value = average / (1 - smooth ** (i + 1))  # bias-corrected running average
        rates.append(lr)
        raw.append(loss)
        smoothed.append(value)
        if not np.isfinite(value) or (i > 0 and value > diverge * best):
            return rates, raw, smoothed, True
        best = min(best, value)
    return rates, raw, smoothed, False


def _train_batch(model: Any, optimizer: Any, batch: tuple) -> float:
    x, y, sample_weight = unpack(batch)
    with model.compiled.autocast():
        y_pred = model(x)
    loss = model.compute_loss(x, y, y_pred, sample_weight)
    optimizer.zero_grad()
    if loss.requires_grad:
        loss.backward()
        optimizer.step()
    constraints.apply_all(model)
    return float(loss.detach())


def _snapshot(model: Any) -> dict[str, Any]:
    params = list(model.parameters())
    return {"state": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "grads": [None if p.grad is None else p.grad.detach().clone() for p in params],
            "requires_grad": [p.requires_grad for p in params], "rng": resume.rng_state()}


def _restore(model: Any, saved: dict[str, Any]) -> None:
    with torch.no_grad():
        current = model.state_dict()
        for key, value in saved["state"].items():
            current[key].copy_(value)  # in place: the compiled optimizer still holds these parameters
    for p, grad, flag in zip(model.parameters(), saved["grads"], saved["requires_grad"]):
        p.grad = grad
        p.requires_grad_(flag)
    resume.set_rng_state(saved["rng"])


def steepest(learning_rates: list[float], smoothed: list[float], skip: tuple[int, int] = (10, 1)) -> float | None:
    """Lightning's suggestion: the rate where the smoothed loss falls fastest per step (its most
    negative gradient), ignoring the first ``skip[0]`` and last ``skip[1]`` points (noise at the start,
    the explosion at the end). None with fewer than 3 usable points.

    >>> steepest([1, 2, 3, 4, 5], [5.0, 4.8, 3.0, 2.9, 2.8], skip=(0, 0))
    2
    """
    first, last = skip
    losses = np.asarray(smoothed[first:len(smoothed) - last], dtype=float)
    rates = np.asarray(learning_rates[first:len(learning_rates) - last])
    keep = np.isfinite(losses)
    losses, rates = losses[keep], rates[keep]
    if len(losses) < 3:
        return None
    return rates[int(np.argmin(np.gradient(losses)))].item()


def valley(learning_rates: list[float], smoothed: list[float]) -> float | None:
    """fastai's "valley" rate: find the longest stretch over which the smoothed loss keeps falling
    (the longest decreasing subsequence) and take the rate a half of the way into it. None with
    fewer than 3 points.

    >>> valley([1, 2, 3, 4, 5, 6, 7], [3.0, 2.5, 2.0, 1.5, 1.0, 4.0, 9.0])
    3
    """
    losses = np.asarray(smoothed, dtype=float)
    n = len(losses)
    if n < 3:
        return None
    losses = np.where(np.isfinite(losses), losses, np.inf)
    length = np.ones(n, dtype=int)  # length of the longest decreasing run ending at i
    for i in range(1, n):
        earlier = length[:i][losses[:i] > losses[i]]
        if earlier.size:
            length[i] = earlier.max() + 1
    stop = int(np.argmax(length))
    begin = stop - int(length[stop]) + 1
    return learning_rates[begin + (stop - begin) // 2]


__all__ = ["LRFinderResult", "lr_find", "steepest", "valley"]
