"""The parts of the fit / evaluate / predict loops that are not the Trainer's public API.

As in Keras, a step returns its metrics' running results and the loop shows the
latest ones; the default steps return them lazily, so values are computed and
read only when the progress bar refreshes and at epoch end. On the CPU a read costs nothing,
so there they are read (and checked for NaN) every step; on an accelerator the
first non-finite step is remembered on the device. ``GLASSNET_DEVICE_SIDE_LOGS=1``
forces the accelerator path on any device, so tests exercise it on the CPU.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet.errors import NaNLossError
from glassnet.metrics import Metric

DEVICE_SIDE_SWITCH = "GLASSNET_DEVICE_SIDE_LOGS"


def reads_every_step(device: torch.device) -> bool:
    """Whether step logs are read on the host every step (CPU, unless forced off by the switch).

    >>> reads_every_step(torch.device('cpu')) == (os.environ.get(DEVICE_SIDE_SWITCH) != '1')
    True
    """
    return device.type == "cpu" and os.environ.get(DEVICE_SIDE_SWITCH) != "1"


class LossTracker(Metric):
    """The running, batch-size-weighted mean of the loss: Keras' loss tracker (``model.metrics[0]``,
    named 'loss'), with a fast path for the trainer. On the host (CPU) the sum is a Python float,
    read every step for free; on an accelerator it stays a device tensor until a refresh reads it.

    >>> tracker = LossTracker(torch.device('cpu'))
    >>> tracker.add(torch.tensor(1.0), 2); tracker.add(torch.tensor(4.0), 1); float(tracker.result())
    2.0
    >>> tracker.update_state(torch.tensor(6.0), sample_weight=3); float(tracker.result())
    4.0
    """

    def __init__(self, device: torch.device, name: str = "loss"):
        super().__init__(name=name)
        self.on_host = reads_every_step(device)
        self.total: Any = 0.0
        self.count = 0.0

    def add(self, value: torch.Tensor, n: float) -> None:
        """Add one batch's mean loss ``value`` over ``n`` samples (no host sync on accelerators)."""
        value = value.detach()
        self.total = self.total + (float(value) if self.on_host else value.float()) * n
        self.count += n

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        """Keras' API: ``values`` (a loss) weighted by ``sample_weight`` (a number: the batch size)."""
        values = torch.as_tensor(values).detach().float()
        weight = 1.0 if sample_weight is None else float(torch.as_tensor(sample_weight).float().sum())
        self.add(values.mean(), weight * max(values.numel(), 1) if values.dim() else weight)

    def result(self) -> torch.Tensor:
        """The mean so far (0 before any batch)."""
        if self.on_host:
            return torch.tensor(self.total / self.count if self.count else 0.0)
        return torch.as_tensor(self.total) / max(self.count, 1e-12)

    def reset_state(self) -> None:
        """Forget every batch (each epoch, each evaluation)."""
        self.total, self.count = 0.0, 0.0


class MetricResults(MutableMapping):
    """The logs a step returns: each metric's ``result()``, computed only when read (at a progress
    refresh, not every step). Keys you add (``logs['norm'] = ...``) hold plain values.

    >>> tracker = LossTracker(torch.device('cpu')); tracker.add(torch.tensor(0.5), 4)
    >>> logs = MetricResults([('loss', tracker)]); logs['extra'] = 1.0
    >>> {k: float(v) for k, v in logs.items()}
    {'loss': 0.5, 'extra': 1.0}
    """

    def __init__(self, metrics: list[tuple[str, Any]]):
        self._metrics = dict(metrics)
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        return self._metrics[key].result()

    def __contains__(self, key: object) -> bool:  # without computing a result
        return key in self._values or key in self._metrics

    def __setitem__(self, key: str, value: Any) -> None:
        self._metrics.pop(key, None)
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        if key in self._values:
            del self._values[key]
        else:
            del self._metrics[key]

    def __iter__(self):
        yield from self._metrics
        yield from self._values

    def __len__(self) -> int:
        return len(self._metrics) + len(self._values)


class StepLogs:
    """The logs of the latest step (Keras shows the last values a step returned: running metric
    results), and the first step whose loss was not finite — checked every step on the host,
    remembered on the device otherwise (see the module docstring).

    >>> logs = StepLogs(torch.device('cpu'))
    >>> logs.update({'loss': torch.tensor(1.0)}, 0); logs.update({'loss': torch.tensor(float('nan'))}, 1)
    >>> logs.first_bad_step(), logs.read()
    (1, {'loss': nan})
    """

    def __init__(self, device: torch.device):
        self.on_host = reads_every_step(device)
        self.last: Mapping[str, Any] = {}
        self.bad_step: Any = -1 if self.on_host else torch.full((), -1, device=device)

    def update(self, logs: Mapping[str, Any], step: int) -> None:
        """Take a step's returned logs."""
        self.last = logs
        if "loss" not in logs:
            return
        loss = logs["loss"]
        if self.on_host:
            if self.bad_step < 0 and not math.isfinite(float(loss)):
                self.bad_step = step
            return
        bad = ~torch.isfinite(torch.as_tensor(loss).detach())
        self.bad_step = torch.where(bad & (self.bad_step < 0), step, self.bad_step)

    def read(self, prefix: str = "") -> dict[str, float]:
        """The latest logs as floats (a dict-valued entry, e.g. grouped metric results, is flattened)."""
        out: dict[str, float] = {}
        for key, value in self.last.items():
            if isinstance(value, Mapping):
                out.update({prefix + k: float(v) for k, v in value.items()})
            else:
                out[prefix + key] = float(value)
        return out

    def first_bad_step(self) -> int:
        """The first step whose loss was NaN/inf, or -1."""
        return int(self.bad_step)


def nan_error(learning_rate: float | None, epoch: int, step: int, steps: int) -> NaNLossError:
    """The message for a loss that became NaN/inf: where, the likely cause, what to try."""
    rate = f" (it is {learning_rate:g})" if learning_rate is not None else ""
    return NaNLossError(
        f"The loss became NaN or infinite at epoch {epoch + 1}, step {step + 1}"
        f"{f' of {steps}' if steps else ''}; training stopped. The usual cause is a learning rate that is "
        f"too high{rate}: try 10x lower. Also check that the inputs have no NaN/inf and are "
        "normalised (e.g. pixels divided by 255).")


def batch_size_of(batch: Any) -> int:
    """Samples in a batch ``(x, ...)`` (the first tensor's length).

    >>> batch_size_of((torch.zeros(3, 2), torch.zeros(3)))
    3
    """
    x = batch[0] if isinstance(batch, tuple) else batch
    if isinstance(x, torch.Tensor):  # the usual case: skip flattening
        return x.shape[0]
    leaf = next(t for t in pytree.tree_leaves(x) if torch.is_tensor(t))
    return int(leaf.shape[0])


def keras_batch(batch: tuple) -> tuple:
    """A batch as Keras 3 hands it to ``train_step``: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``,
    so ``x, y = data`` works when no sample weights were given.

    >>> keras_batch((1, 2, None)), keras_batch((1, None, None))
    ((1, 2), (1,))
    """
    x, y, w = batch
    if w is not None:
        return batch
    return (x,) if y is None else (x, y)


def concat_to_numpy(outputs: list) -> Any:
    """Per-batch outputs joined into numpy arrays (a list/dict for several outputs)."""
    first = outputs[0]
    if torch.is_tensor(first):
        return torch.cat(outputs).cpu().numpy()
    if isinstance(first, dict):
        return {k: torch.cat([o[k] for o in outputs]).cpu().numpy() for k in first}
    return [torch.cat([o[i] for o in outputs]).cpu().numpy() for i in range(len(first))]


def keras_result(logs: dict[str, float], return_dict: bool) -> Any:
    """Keras' return shape: the dict, a scalar for the loss alone, or a list.

    >>> keras_result({'loss': 0.5}, False), keras_result({'loss': 0.5, 'acc': 1.0}, False)
    (0.5, [0.5, 1.0])
    """
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


__all__ = ["LossTracker", "MetricResults", "StepLogs", "nan_error", "batch_size_of", "keras_batch",
           "concat_to_numpy", "keras_result"]
