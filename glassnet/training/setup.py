"""What ``compile`` decides: optimizer, losses, metrics, device, precision.

:class:`CompiledSetup` also prepares a model right before training: moves it
to the device, builds lazy layers with a dry run, fuses a final softmax/sigmoid
into the crossentropy (stable log-softmax), and binds the optimizer.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch.utils import _pytree as pytree

from glassnet import activations, losses, metrics as metrics_module, optimizers
from glassnet.config import default_device, resolve_precision
from glassnet.errors import ShapeError

_KERAS_ONLY = {"run_eagerly", "steps_per_execution", "jit_compile", "weighted_metrics", "auto_scale_loss"}


def final_activation(layer) -> str | None:
    """'softmax' / 'sigmoid' if ``layer`` ends with that activation, else None."""
    fn = getattr(layer, "activation", None)
    if fn is activations.softmax or (type(layer).__name__ == "Softmax" and getattr(layer, "axis", None) == -1):
        return "softmax"
    if fn is activations.sigmoid:
        return "sigmoid"
    return None


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


class CompiledSetup:
    """Everything ``compile()`` configured, plus the per-fit preparation of the model."""

    def __init__(self, model, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                 device=None, precision="auto", compile=False, **kwargs):
        unknown = set(kwargs) - _KERAS_ONLY
        if unknown:
            raise TypeError(f"compile() got unexpected argument(s) {sorted(unknown)}.")
        self.model = model
        self.optimizer = optimizers.get(optimizer)
        self.device = torch.device(device) if device is not None else default_device()
        self.precision = resolve_precision(precision, self.device)
        self.use_compile = bool(compile or kwargs.get("jit_compile"))
        self.output_names = model.output_names if hasattr(model, "output_names") else ["output"]
        self._raw = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights}
        names = self.output_names
        self.losses = [losses.get(l) if l is not None else None for l in _per_output(loss, names, "losses")]
        weights = _per_output(loss_weights, names, "loss_weights") if loss_weights is not None else [1.0] * len(names)
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        per_output = _per_output(metrics or [], names, "metrics")
        self.metrics = [[metrics_module.get(m, getattr(l, "name", None)) for m in (ms or [])]
                        for ms, l in zip(per_output, self.losses)]
        self.fused = [None] * len(names)
        self.forward = model
        self.prepared = False
        self._pending_optimizer_state = None

    # ------------------------------------------------------------------ preparation
    def prepare(self, example_x) -> None:
        """Move the model to the device, build it, fuse activations, bind the optimizer."""
        model = self.model
        model.to(self.device)
        if not self.prepared:
            self._dry_run(example_x)
            self._fuse_output_activations()
            if any(p.dim() == 4 for p in model.parameters()):
                model.to(memory_format=torch.channels_last)  # conv kernels in their fast layout
            if not self.optimizer.built:
                self.optimizer.build(list(model.parameters()))
            if self._pending_optimizer_state is not None:
                self.optimizer.load_state_dict(self._pending_optimizer_state)
                self._pending_optimizer_state = None
            if self.use_compile:
                self.forward = torch.compile(model)
            self.prepared = True
        for ms in self.metrics:
            for m in ms:
                m.reset()

    def _dry_run(self, example_x) -> None:
        example = pytree.tree_map(lambda t: t[:2].to(self.device) if torch.is_tensor(t) else t, example_x)
        shapes = pytree.tree_map(lambda t: (None, *t.shape[1:]) if torch.is_tensor(t) else t, example_x)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                self.model(example)
        except ShapeError as err:
            raise ShapeError(f"The data does not fit model '{self.model.name}' (x has shape {shapes}). {err}") from None
        finally:
            self.model.train(was_training)
        leaves = [t for t in pytree.tree_leaves(example_x) if torch.is_tensor(t)]
        if not getattr(self.model, "_built_input_shapes", None):
            self.model._built_input_shapes = [[None, *t.shape[1:]] for t in leaves]

    def _fuse_output_activations(self) -> None:
        layers = self.model.output_layers() if hasattr(self.model, "output_layers") else []
        if len(layers) != len(self.losses):
            return
        for i, (layer, loss) in enumerate(zip(layers, self.losses)):
            activation = final_activation(layer)
            if loss is not None and activation and loss.fuses_activation == activation \
                    and not getattr(loss, "from_logits", True):
                self.losses[i] = loss.with_logits()
                self.fused[i] = (layer, activation)

    def restore_optimizer(self, state: dict) -> None:
        """Optimizer state from a saved model, applied when training resumes."""
        self._pending_optimizer_state = state

    @contextlib.contextmanager
    def logits_mode(self, enabled: bool):
        """While enabled, fused output layers emit logits (the loss applies log-softmax)."""
        fused = [f for f in self.fused if f is not None]
        previous = [layer._emit_logits for layer, _ in fused]
        for layer, _ in fused:
            layer._emit_logits = enabled
        try:
            yield
        finally:
            for (layer, _), old in zip(fused, previous):
                layer._emit_logits = old

    def autocast(self):
        """bf16 autocast when mixed precision is on, else a no-op context."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16")

    # ------------------------------------------------------------------ loss and metrics
    def _as_list(self, value) -> list:
        if isinstance(value, dict):
            return [value.get(n) for n in self.output_names]
        if isinstance(value, (list, tuple)) and len(self.output_names) > 1:
            return list(value)
        return [value]

    def compute_loss(self, y, y_pred, sample_weight=None) -> torch.Tensor:
        """Weighted sum of the per-output losses (computed in float32)."""
        total = None
        for loss, weight, target, pred in zip(self.losses, self.loss_weights, self._as_list(y),
                                              self._as_list(y_pred)):
            if loss is None:
                continue
            value = loss(target, pred.float(), sample_weight)
            if weight != 1.0:  # x * 1.0 is x: no extra op (and backward node) per step when unweighted
                value = value * weight
            total = value if total is None else total + value
        if total is None:
            raise ValueError("No loss to minimise: compile(loss=...) with a loss for at least one output.")
        return total

    def probabilities(self, index: int, pred: torch.Tensor) -> torch.Tensor:
        """Undo a fused activation so metrics see probabilities."""
        fused = self.fused[index]
        if fused is None or not fused[0]._emit_logits:
            return pred
        return torch.softmax(pred, dim=-1) if fused[1] == "softmax" else torch.sigmoid(pred)

    def update_metrics(self, y, y_pred, sample_weight=None) -> None:
        """Feed one batch to every metric (no host sync). Arg-max metrics read fused softmax
        logits directly; the others get probabilities, computed once per batch."""
        for i, (ms, target, pred) in enumerate(zip(self.metrics, self._as_list(y), self._as_list(y_pred))):
            if not ms:
                continue
            values = pred.detach().float()
            softmax_logits = self.fused[i] is not None and self.fused[i][1] == "softmax" \
                and self.fused[i][0]._emit_logits
            probabilities = None
            for m in ms:
                if softmax_logits and m.accepts_logits:
                    m.update(target, values, sample_weight)
                    continue
                if probabilities is None:
                    probabilities = self.probabilities(i, values)
                m.update(target, probabilities, sample_weight)

    def metric_names(self) -> list[tuple[str, Any]]:
        """(log name, metric) pairs, Keras-style names for several outputs."""
        multi = len(self.output_names) > 1
        return [(f"{out}_{m.name}" if multi else m.name, m)
                for out, ms in zip(self.output_names, self.metrics) for m in ms]

    def reset_metrics(self) -> None:
        for _, m in self.metric_names():
            m.reset()

    def describe(self) -> str:
        """One line for summary() and the fit header."""
        mode = "bf16 mixed precision" if self.precision == "bfloat16" else "float32"
        return f"Device: {self.device} · {mode} · torch.compile: {'on' if self.use_compile else 'off'}"

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict:
        """Compile arguments as JSON (original, unfused losses)."""
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
            metrics = pytree.tree_map(lambda m: m if isinstance(m, str) else m.name, metrics)
        return {"optimizer": optimizers.serialize(self.optimizer), "loss": loss, "metrics": metrics,
                "loss_weights": self._raw["loss_weights"], "precision": self.precision,
                "compile": self.use_compile}

    @classmethod
    def from_config(cls, model, config: dict, custom_objects=None) -> "CompiledSetup":
        return cls(model, optimizer=optimizers.get(config["optimizer"]), loss=config["loss"],
                   metrics=config["metrics"], loss_weights=config["loss_weights"],
                   precision=config["precision"], compile=config["compile"])
