"""What ``compile`` records: optimizer, losses, metrics, device, precision.

:class:`CompileConfig` holds choices only. Everything that depends on the model
as it is — which weights the optimizer updates, whether an output carries logits
for a stable crossentropy, where the weights live — is derived when training
starts (:mod:`glassnet.training.run`) or per call, never cached here.

>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> config = CompileConfig(['output'], optimizer='sgd', loss='mse', device='cpu')
>>> config.describe()
'Device: cpu · float32 · torch.compile: off'
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet import logits, losses, masking, metrics as metrics_module, optimizers
from glassnet.config import default_device, resolve_precision
from glassnet.training.loop import LossTracker, MetricResults

_KERAS_ONLY = {"run_eagerly", "steps_per_execution", "jit_compile", "weighted_metrics", "auto_scale_loss"}


def _per_output(value: Any, names: list[str], what: str) -> list:
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown:
            raise ValueError(f"{what} given for unknown output(s) {sorted(unknown)}; outputs are {names}.")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and what != "metrics":
        if len(value) != len(names):
            raise ValueError(f"{len(value)} {what} given for {len(names)} outputs ({names}).")
        return list(value)
    if what == "metrics" and isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return list(value)
    return [value] * len(names)


def _named_outputs(names: list[str], *per_output: Any) -> list[str]:
    """A subclassed model's outputs are unknown before it runs: when compile gives a list of n > 1
    losses (or weights, or metric lists) for its one nominal output, they are 'output_1'...'output_n',
    as in Keras.

    >>> _named_outputs(['output'], ['mse', 'mae'], None, None)
    ['output_1', 'output_2']
    """
    if names != ["output"]:
        return names
    for value in per_output:
        if isinstance(value, (list, tuple)) and len(value) > 1 and (
                value is not per_output[-1] or all(isinstance(v, (list, tuple)) for v in value)):
            return [f"output_{i}" for i in range(1, len(value) + 1)]
    return names


def _logits_twin(loss: Any) -> Any:
    """The from-logits version of a probability crossentropy (used when the output carries logits)."""
    if isinstance(loss, losses.Loss) and loss.fuses_activation and not getattr(loss, "from_logits", True):
        return loss.with_logits()
    return None


class CompileConfig:
    """The choices made in ``compile()``; see the module docstring."""

    def __init__(self, output_names: list[str], optimizer: Any = "rmsprop", loss: Any = None,
                 metrics: Any = None, loss_weights: Any = None, device: str | torch.device | None = None,
                 precision: str = "auto", compile: bool = False, **keras_only: Any):
        unknown = set(keras_only) - _KERAS_ONLY
        if unknown:
            raise TypeError(f"compile() got unexpected argument(s) {sorted(unknown)}.")
        self.output_names = _named_outputs(list(output_names), loss, loss_weights, metrics)
        self.optimizer = optimizers.get(optimizer)
        self.device = torch.device(device) if device is not None else default_device()
        self.precision = resolve_precision(precision, self.device)
        self.use_compile = bool(compile or keras_only.get("jit_compile"))
        self._raw = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights}
        names = self.output_names
        self.losses = [losses.get(l) if l is not None else None for l in _per_output(loss, names, "losses")]
        self.logit_losses = [_logits_twin(l) for l in self.losses]
        weights = _per_output(loss_weights, names, "loss_weights") if loss_weights is not None else [1.0] * len(names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        per_output = _per_output(metrics or [], names, "metrics")
        self.metrics = [[metrics_module.get(m, getattr(l, "name", None)) for m in (ms or [])]
                        for ms, l in zip(per_output, self.losses)]
        self.loss_tracker = LossTracker(self.device)  # Keras' model.metrics[0], 'loss'
        self.pending_optimizer_state: dict | None = None

    # ------------------------------------------------------------------ loss and metrics
    def as_list(self, value: Any) -> list:
        """Per-output values in output order, from a dict, a list or a single value."""
        if isinstance(value, dict):
            return [value.get(n) for n in self.output_names]
        if isinstance(value, (list, tuple)) and len(self.output_names) > 1:
            return list(value)
        return [value]

    def compute_loss(self, y: Any, y_pred: Any, sample_weight: torch.Tensor | None = None) -> torch.Tensor | None:
        """Weighted sum of the per-output losses (in float32); None if compile named no loss. An output that carries the logits of its
        softmax/sigmoid (:mod:`glassnet.logits`) is scored from them: a stable log-softmax."""
        total = None
        for loss, twin, weight, target, pred in zip(self.losses, self.logit_losses, self.loss_weights,
                                                    self.as_list(y), self.as_list(y_pred)):
            if loss is None:
                continue
            raw = logits.of(pred, loss.fuses_activation) if twin is not None else None
            weight_of_steps = sample_weight
            mask = masking.of(pred)  # padded steps of a sequence output do not count (Keras)
            if mask is not None:
                weight_of_steps = masking.loss_weight(mask, sample_weight)
            value = (twin(target, raw.float(), weight_of_steps) if raw is not None
                     else loss(target, pred.float(), weight_of_steps))
            if weight != 1.0:  # x * 1.0 is x: no extra op (and backward node) per step when unweighted
                value = value * weight
            total = value if total is None else total + value
        return total

    def update_metrics(self, y: Any, y_pred: Any, sample_weight: torch.Tensor | None = None) -> None:
        """Feed one batch to every metric (no host sync)."""
        for ms, target, pred in zip(self.metrics, self.as_list(y), self.as_list(y_pred)):
            if ms:
                mask, weights = masking.of(pred), sample_weight
                values = pred.detach().float()
                if mask is not None and torch.is_tensor(target) and target.shape[:mask.dim()] == mask.shape:
                    values, target = values[mask], target[mask]  # only the real steps of a masked sequence
                    if weights is not None:
                        weights = torch.as_tensor(weights)
                        weights = weights.reshape(weights.shape + (1,) * (mask.dim() - weights.dim()))
                        weights = weights.expand(mask.shape)[mask]
                for m in ms:
                    m.update(target, values, weights)

    def metric_names(self) -> list[tuple[str, Any]]:
        """(log name, metric) pairs, Keras-style names for several outputs."""
        multi = len(self.output_names) > 1
        return [(f"{out}_{m.name}" if multi else m.name, m)
                for out, ms in zip(self.output_names, self.metrics) for m in ms]

    def results(self) -> MetricResults:
        """The loss tracker's and every compiled metric's results, computed when read."""
        return MetricResults([("loss", self.loss_tracker), *self.metric_names()])

    # ------------------------------------------------------------------ device and precision
    def autocast(self):
        """bf16 autocast when mixed precision is on, else a no-op context."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16")

    def describe(self) -> str:
        """One line for summary() and the fit header."""
        mode = "bf16 mixed precision" if self.precision == "bfloat16" else "float32"
        return f"Device: {self.device} · {mode} · torch.compile: {'on' if self.use_compile else 'off'}"

    def restore_optimizer(self, state: dict) -> None:
        """Optimizer state from a saved model; validated and applied when training next starts
        (the optimizer is bound to the model's weights only then)."""
        self.pending_optimizer_state = state

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict:
        """Compile arguments as JSON (losses as given, by name or config).

        >>> CompileConfig(['out'], optimizer='sgd', loss='mse', device='cpu').get_config()['loss']
        'mse'
        """
        def loss_config(value):
            if value is None or isinstance(value, str):
                return value
            return losses.serialize(losses.get(value))
        raw_loss = self._raw["loss"]
        loss = ({k: loss_config(v) for k, v in raw_loss.items()} if isinstance(raw_loss, dict)
                else [loss_config(v) for v in raw_loss] if isinstance(raw_loss, (list, tuple))
                else loss_config(raw_loss))
        metrics = self._raw["metrics"]
        if metrics is not None:
            metrics = pytree.tree_map(_metric_config, metrics)
        return {"optimizer": optimizers.serialize(self.optimizer), "loss": loss, "metrics": metrics,
                "loss_weights": self._raw["loss_weights"], "precision": self.precision,
                "compile": self.use_compile}

    @classmethod
    def from_config(cls, output_names: list[str], config: dict) -> "CompileConfig":
        """Rebuild from :meth:`get_config` (a saved model's compile settings)."""
        loss = config["loss"]
        if _is_serialized_loss(loss):
            loss = losses.get(loss)
        elif isinstance(loss, dict):
            loss = {k: losses.get(v) if _is_serialized_loss(v) else v for k, v in loss.items()}
        elif isinstance(loss, list):
            loss = [losses.get(v) if _is_serialized_loss(v) else v for v in loss]
        return cls(output_names, optimizer=optimizers.get(config["optimizer"]), loss=loss,
                   metrics=config["metrics"], loss_weights=config["loss_weights"],
                   precision=config["precision"], compile=config["compile"])


def _metric_config(metric: Any) -> Any:
    """A compiled metric as JSON: its name, or its config for a Metric object (your own class too)."""
    if isinstance(metric, metrics_module.Metric):
        return metrics_module.serialize(metric)
    return metric if isinstance(metric, str) else getattr(metric, "__name__", str(metric))


def _is_serialized_loss(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"class_name", "config"}
