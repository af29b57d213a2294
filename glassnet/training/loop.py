"""The parts of the fit / evaluate / predict loops that are not the Trainer's public API.

Running means of the step logs stay on the device; values are read only when
the progress bar refreshes and at epoch end. On the CPU a read costs nothing,
so there they are read (and checked for NaN) every step; on an accelerator the
first non-finite step is remembered on the device. ``GLASSNET_DEVICE_SIDE_LOGS=1``
forces the accelerator path on any device, so tests exercise it on the CPU.
"""

from __future__ import annotations

import math
import os
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet.errors import NaNLossError

DEVICE_SIDE_SWITCH = "GLASSNET_DEVICE_SIDE_LOGS"


def reads_every_step(device: torch.device) -> bool:
    """Whether step logs are read on the host every step (CPU, unless forced off by the switch).

    >>> reads_every_step(torch.device('cpu')) == (os.environ.get(DEVICE_SIDE_SWITCH) != '1')
    True
    """
    return device.type == "cpu" and os.environ.get(DEVICE_SIDE_SWITCH) != "1"


class RunningLogs:
    """Batch-size-weighted running means of a step's outputs; see the module docstring.

    >>> logs = RunningLogs(torch.device('cpu'))
    >>> logs.add({'loss': torch.tensor(1.0)}, 2, 0); logs.add({'loss': torch.tensor(4.0)}, 1, 1)
    >>> logs.means()
    {'loss': 2.0}
    """

    def __init__(self, device: torch.device):
        self.on_host = reads_every_step(device)
        self.sums: dict[str, Any] = {}
        self.count = 0
        self.bad_step: Any = -1 if self.on_host else torch.full((), -1, device=device)

    def add(self, logs: dict[str, torch.Tensor], n: int, step: int) -> None:
        values = {key: float(v) if self.on_host else torch.as_tensor(v).detach() for key, v in logs.items()}
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * n
        if "loss" in logs:
            self._watch(logs["loss"], values["loss"], step)
        self.count += n

    def _watch(self, loss: Any, value: Any, step: int) -> None:
        if self.on_host:
            if self.bad_step < 0 and not math.isfinite(value):
                self.bad_step = step
            return
        bad = ~torch.isfinite(torch.as_tensor(loss).detach())
        self.bad_step = torch.where(bad & (self.bad_step < 0), step, self.bad_step)

    def means(self) -> dict[str, float]:
        """Each value's mean over the samples seen so far (one host read per value)."""
        return {k: float(v) / max(self.count, 1) for k, v in self.sums.items()}

    def first_bad_step(self) -> int:
        """The first step whose loss was NaN/inf, or -1."""
        return int(self.bad_step)


def read_logs(config: Any, tracker: RunningLogs, prefix: str = "") -> dict[str, float]:
    """The running step logs plus every compiled metric's result, as floats."""
    logs = {prefix + k: v for k, v in tracker.means().items()}
    for name, metric in config.metric_names():
        logs[prefix + name] = float(metric.result())
    return logs


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


def to_float_logs(step_logs: dict[str, Any], config: Any) -> dict[str, float]:
    """A step's logs plus the metrics' results as floats (the ``*_on_batch`` results)."""
    logs = {k: float(v) for k, v in step_logs.items()}
    for name, metric in config.metric_names():
        logs[name] = float(metric.result())
    return logs


def keras_result(logs: dict[str, float], return_dict: bool) -> Any:
    """Keras' return shape: the dict, a scalar for the loss alone, or a list.

    >>> keras_result({'loss': 0.5}, False), keras_result({'loss': 0.5, 'acc': 1.0}, False)
    (0.5, [0.5, 1.0])
    """
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


__all__ = ["RunningLogs", "read_logs", "nan_error", "batch_size_of", "keras_batch", "concat_to_numpy",
           "to_float_logs", "keras_result"]
