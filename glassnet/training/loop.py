"""The fit / evaluate / predict loops: short steps wrapped in callback events.

The data lives on the device; batches are slices of a per-epoch permutation;
the step never waits for the device (values are read only when the progress bar
refreshes and at epoch end); gradients are dropped with ``set_to_none``;
evaluation runs under ``inference_mode``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch.utils import _pytree as pytree

from glassnet.callbacks.base import CallbackList, History
from glassnet.errors import NaNLossError
from glassnet.training.data import ArrayData, IterableData, make_data
from glassnet.training.progress import ProgressBar, resolve_verbose
from glassnet.training.steps import unpack
from glassnet.training.validation import check_labels


class RunningLogs:
    """Batch-size-weighted running means of a step's outputs, kept on the device.

    On the CPU reading a scalar costs nothing, so values are read (and checked
    for NaN) every step; on an accelerator they stay on the device and are read
    only at refreshes, with the first non-finite step remembered on the device.
    """

    def __init__(self, device: torch.device):
        self.on_cpu = device.type == "cpu"
        self.sums: dict[str, Any] = {}
        self.count = 0
        self.bad_step: Any = -1 if self.on_cpu else torch.full((), -1, device=device)

    def add(self, logs: dict[str, torch.Tensor], n: int, step: int) -> None:
        values = {key: float(v) if self.on_cpu else v.detach() for key, v in logs.items()}
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * n
        loss = logs["loss"]
        if self.on_cpu:
            if self.bad_step < 0 and not math.isfinite(values["loss"]):
                self.bad_step = step
        else:
            bad = ~torch.isfinite(loss.detach())
            self.bad_step = torch.where(bad & (self.bad_step < 0), step, self.bad_step)
        self.count += n

    def means(self) -> dict[str, float]:
        return {k: float(v) / max(self.count, 1) for k, v in self.sums.items()}

    def first_bad_step(self) -> int:
        return int(self.bad_step)


def _read_logs(model, tracker: RunningLogs, prefix: str = "") -> dict[str, float]:
    logs = {prefix + k: v for k, v in tracker.means().items()}
    for name, metric in model.compiled.metric_names():
        logs[prefix + name] = float(metric.result())
    return logs


def _nan_error(model, epoch: int, step: int, steps: int) -> NaNLossError:
    lr = model.optimizer.learning_rate if model.optimizer is not None else None
    return NaNLossError(
        f"The loss became NaN or infinite at epoch {epoch + 1}, step {step + 1}"
        f"{f' of {steps}' if steps else ''}; training stopped. The usual cause is a learning rate that is "
        f"too high (it is {lr:g}): try 10x lower. Also check that the inputs have no NaN/inf and are "
        "normalised (e.g. pixels divided by 255).")


def _check_all_labels(model, data) -> None:
    setup = model.compiled
    y = data.y if isinstance(data, ArrayData) else data.first_labels()
    if y is None:
        return
    example = data.example()
    with torch.no_grad(), setup.logits_mode(False):
        was_training = model.training
        model.eval()
        pred = model(pytree.tree_map(lambda t: t[:1], example))
        model.train(was_training)
    targets = setup._as_list(y)
    preds = setup._as_list(pred)
    for loss, target, p, name in zip(setup.losses, targets, preds, setup.output_names):
        check_labels(loss, target, tuple(p.shape), f"output '{name}'")


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
        initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
        validation_freq=1) -> History:
    """Keras' ``fit``; see :meth:`glassnet.models.Model.fit`."""
    setup = model._require_compiled("fit")
    data = make_data(x, y, sample_weight, batch_size, setup.device, steps_per_epoch, class_weight)
    val = None
    if validation_split:
        if not isinstance(data, ArrayData):
            raise ValueError("validation_split works with arrays only; pass validation_data= for datasets.")
        data, val = data.split(validation_split)
    elif validation_data is not None:
        vx, vy, vw = unpack(validation_data) if isinstance(validation_data, (tuple, list)) else (validation_data, None, None)
        val = make_data(vx, vy, vw, validation_batch_size or batch_size, setup.device, validation_steps)
    setup.prepare(data.example())
    _check_all_labels(model, data)
    if model._shuffle_seed is None:
        model._shuffle_seed = int(torch.randint(0, 2**31 - 1, ()).item())

    history = History()
    steps = len(data)
    callback_list = CallbackList([*(callbacks or []), history], model=model, epochs=epochs, steps=steps,
                                 verbose=resolve_verbose(verbose))
    batch_events = callback_list.wants_batch_events
    bar = ProgressBar(verbose, epochs, steps)
    samples = f"{data.num_samples:,} samples, " if isinstance(data, ArrayData) else ""
    validation = f", validating on {val.num_samples:,}" if isinstance(val, ArrayData) else ""
    bar.header(f"Training '{model.name}' on {samples}{steps} steps per epoch{validation} · {setup.describe()}")
    model.stop_training = False
    model.history = history
    callback_list.on_train_begin()
    with setup.logits_mode(True):
        for epoch in range(initial_epoch, epochs):
            logs = _train_epoch(model, data, epoch, shuffle, callback_list, batch_events, bar, steps)
            if val is not None and (epoch + 1) % validation_freq == 0:
                logs.update(_evaluate_data(model, val, prefix="val_", callbacks=callback_list))
            callback_list.on_epoch_end(epoch, logs)
            bar.finish(logs, data.num_samples if isinstance(data, ArrayData) else 0)
            if model.stop_training:
                break
    callback_list.on_train_end(logs if epochs > initial_epoch else None)
    return history


def _train_epoch(model, data, epoch, shuffle, callbacks, batch_events, bar, steps) -> dict[str, float]:
    setup = model.compiled
    model.train()
    setup.reset_metrics()
    callbacks.on_epoch_begin(epoch)
    tracker = RunningLogs(setup.device)
    bar.start(epoch)
    for step, batch in enumerate(data.batches(epoch, shuffle, model._shuffle_seed or 0)):
        if batch_events:
            callbacks.on_train_batch_begin(step)
        step_logs = model.train_step(batch)
        tracker.add(step_logs, _batch_len(batch), step)
        if batch_events:
            callbacks.on_train_batch_end(step, _read_logs(model, tracker))
        if bar.due() or tracker.on_cpu:
            if tracker.first_bad_step() >= 0 and not model.stop_training:
                raise _nan_error(model, epoch, tracker.first_bad_step(), steps)
            bar.update(step + 1, lambda: _read_logs(model, tracker))
        if model.stop_training:
            break
    if tracker.first_bad_step() >= 0 and not model.stop_training:
        raise _nan_error(model, epoch, tracker.first_bad_step(), steps)
    return _read_logs(model, tracker)


def _batch_len(batch) -> int:
    x = unpack(batch)[0]
    if isinstance(x, torch.Tensor):  # the usual case: skip flattening
        return x.shape[0]
    leaf = next(t for t in pytree.tree_leaves(x) if torch.is_tensor(t))
    return int(leaf.shape[0])


def _evaluate_data(model, data, prefix: str = "", callbacks: CallbackList | None = None,
                   bar: ProgressBar | None = None) -> dict[str, float]:
    setup = model.compiled
    was_training = model.training
    model.eval()
    setup.reset_metrics()
    tracker = RunningLogs(setup.device)
    if callbacks is not None:
        callbacks.on_test_begin()
    if bar is not None:
        bar.start(None, "Evaluate")
    with torch.inference_mode():
        for step, batch in enumerate(data.batches()):
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            tracker.add(model.test_step(batch), _batch_len(batch), step)
            if callbacks is not None:
                callbacks.on_test_batch_end(step, None)
            if bar is not None:
                bar.update(step + 1, lambda: _read_logs(model, tracker))
    logs = _read_logs(model, tracker, prefix)
    if callbacks is not None:
        callbacks.on_test_end(logs)
    model.train(was_training)
    return logs


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
             callbacks=None, return_dict=False):
    """Keras' ``evaluate``: the loss, then each metric (a dict with ``return_dict``)."""
    setup = model._require_compiled("evaluate")
    data = make_data(x, y, sample_weight, batch_size, setup.device, steps)
    setup.prepare(data.example())
    _check_all_labels(model, data)
    callback_list = CallbackList(callbacks or [], model=model, steps=len(data), verbose=resolve_verbose(verbose))
    bar = ProgressBar(verbose, None, len(data))
    with setup.logits_mode(True):
        logs = _evaluate_data(model, data, callbacks=callback_list, bar=bar)
    bar.finish(logs, data.num_samples if isinstance(data, ArrayData) else 0)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _model_device(model) -> torch.device:
    if model.compiled is not None:
        return model.compiled.device
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """Keras' ``predict``: numpy outputs for every sample (a list for several outputs)."""
    device = _model_device(model)
    data = make_data(x, None, None, batch_size, device, steps)
    if model.compiled is not None:
        model.compiled.prepare(data.example())
    else:
        model.to(device)
    callback_list = CallbackList(callbacks or [], model=model, steps=len(data), verbose=resolve_verbose(verbose))
    was_training = model.training
    model.eval()
    outputs = []
    callback_list.on_predict_begin()
    with torch.inference_mode():
        for step, batch in enumerate(data.batches()):
            callback_list.on_predict_batch_begin(step)
            outputs.append(model.predict_step(batch))
            callback_list.on_predict_batch_end(step, {"outputs": outputs[-1]})
    callback_list.on_predict_end()
    model.train(was_training)
    return _concat_to_numpy(outputs)


def _concat_to_numpy(outputs: list):
    first = outputs[0]
    if torch.is_tensor(first):
        return torch.cat(outputs).cpu().numpy()
    if isinstance(first, dict):
        return {k: torch.cat([o[k] for o in outputs]).cpu().numpy() for k in first}
    return [torch.cat([o[i] for o in outputs]).cpu().numpy() for i in range(len(first))]


def train_on_batch(model, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
    """One optimisation step on exactly the given batch."""
    setup = model._require_compiled("train_on_batch")
    data = make_data(x, y, sample_weight, 10**12, setup.device, None, class_weight)
    setup.prepare(data.example())
    model.train()
    setup.reset_metrics()
    with setup.logits_mode(True):
        step_logs = model.train_step(next(data.batches()))
    return _batch_result(model, step_logs, return_dict)


def test_on_batch(model, x, y=None, sample_weight=None, return_dict=False):
    """Loss and metrics on exactly the given batch."""
    setup = model._require_compiled("test_on_batch")
    data = make_data(x, y, sample_weight, 10**12, setup.device)
    setup.prepare(data.example())
    model.eval()
    setup.reset_metrics()
    with setup.logits_mode(True), torch.inference_mode():
        step_logs = model.test_step(next(data.batches()))
    return _batch_result(model, step_logs, return_dict)


def _batch_result(model, step_logs, return_dict):
    logs = {k: float(v) for k, v in step_logs.items()}
    for name, metric in model.compiled.metric_names():
        logs[name] = float(metric.result())
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict_on_batch(model, x) -> np.ndarray:
    """Outputs for exactly the given batch, as numpy."""
    return predict(model, x, batch_size=10**12, verbose=0)
