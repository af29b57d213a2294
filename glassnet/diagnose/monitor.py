"""The Monitor: the health of a network while it trains, layer by layer, with advice.

Pass it to ``fit``: ``model.fit(x, y, callbacks=[Monitor()])``. Every ``every`` training steps
(default: about 4 samples per epoch) it hooks the layers that have weights for exactly one step
and records, per layer: the gradient norm (and its RMS per weight), the weight norm, the
update-to-weight ratio ‖ΔW‖/‖W‖ of that step, the activations' mean and standard deviation, the
fraction of dead ReLU units (never positive on the batch) and of saturated sigmoid/tanh outputs.
On its first sample it also records each layer's pre-activation variance var(z) and its ratio to
the input's, var(z)/var(input): the argument behind Xavier (var(W) = 1/n) and He (var(W) = 2/n)
initialisation. Hooks are removed right after the sampled step: the other steps run as without it.

``monitor.history`` holds the numbers: ``step``/``epoch`` (of each sample), ``input_mean``/
``input_std`` (the first layer's input), ``layers`` ({layer: {metric: [value per sample]}}),
``initial`` ({layer: {'z_var', 'var_ratio'}}), ``epoch_logs`` (the epoch losses) and
``first_non_finite``. ``monitor.findings`` turns them into :class:`~glassnet.diagnose.findings.Finding`
objects; ``monitor.report()`` prints them; ``monitor.plot()`` draws the gradient flow and histograms.

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> model = Sequential([Dense(8, activation='relu', input_dim=4), Dense(1)])
>>> model.compile(optimizer='sgd', loss='mse')
>>> monitor = Monitor(every=1)
>>> _ = model.fit(np.ones((16, 4)) * 200, np.ones((16, 1)), batch_size=8, verbose=0, callbacks=[monitor])
>>> len(monitor.history['step']), [f.kind for f in monitor.findings][-1]
(2, 'unnormalised inputs')
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

from glassnet.plots import figure_png, save_figure
from glassnet import activations
from glassnet.callbacks.base import Callback
from glassnet.diagnose.findings import Finding, detect
from glassnet.errors import InvalidArgumentError

SAMPLES_PER_EPOCH = 4
HISTOGRAM_VALUES = 4000  # activation values kept per layer (last sample) for the histograms
SIGMOID_FLAT = 0.02  # a sigmoid output within this of 0 or 1 is saturated (|z| > 3.9, slope < 0.02)
TANH_FLAT = 1 - 2 * SIGMOID_FLAT  # tanh(z) = 2 sigmoid(2z) - 1: the same flatness


def activation_name(layer: torch.nn.Module) -> str:
    """'relu', 'sigmoid', 'tanh', 'softmax' or '' for the activation a layer applies.

    >>> from glassnet.layers import Dense
    >>> activation_name(Dense(2, activation='tanh')), activation_name(Dense(2))
    ('tanh', '')
    """
    fn = getattr(layer, "activation", None)
    for name in ("relu", "sigmoid", "tanh", "softmax"):
        if fn is getattr(activations, name):
            return name
    return "relu" if type(layer).__name__ == "ReLU" else ""


def weighted_layers(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    """The model's sub-layers that own trainable weights, in order, with their names.

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Dense, Flatten
    >>> m = Sequential([Flatten(input_shape=(2, 2)), Dense(3), Dense(1)])
    >>> [type(layer).__name__ for _, layer in weighted_layers(m)]
    ['Dense', 'Dense']
    """
    found = []
    for path, module in model.named_modules():
        if module is model or not any(p.requires_grad for p in module.parameters(recurse=False)):
            continue
        found.append((getattr(module, "name", None) or path, module))
    return found


def _norm(tensors: list[torch.Tensor]) -> float:
    return math.sqrt(sum(float(t.detach().float().pow(2).sum()) for t in tensors))


def _unit_axis(layer: torch.nn.Module, output: torch.Tensor) -> int:
    """The axis of the units: channels (axis 1, NCHW inside) for convolutions, else the last."""
    return 1 if output.dim() > 2 and hasattr(layer, "kernel_size") else -1


class Monitor(Callback):
    """Samples one training step every ``every`` steps (default: about 4 per epoch) and records
    each weighted layer's health; ``max_layers`` limits how many layers are watched (evenly
    spaced, first and last kept). See the module docstring.

    >>> Monitor(every=10).every
    10
    """

    reads_batch_logs = False  # its batch events ignore the logs: no host copy per step for it

    def __init__(self, every: int | None = None, max_layers: int | None = None):
        super().__init__()
        for name, value in (("every", every), ("max_layers", max_layers)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise InvalidArgumentError(f"Monitor({name}={value!r}): {name} must be a positive integer or None.")
        self.every = every
        self.max_layers = max_layers
        self.history: dict[str, Any] = self._empty_history()
        self.activations: dict[str, np.ndarray] = {}
        self._hooks: list[Any] = []
        self._layers: list[tuple[str, torch.nn.Module]] = []
        self._before: dict[str, list[torch.Tensor]] = {}
        self._step = 0
        self._epoch = 0
        self._sample: dict[str, dict[str, float]] = {}

    @staticmethod
    def _empty_history() -> dict[str, Any]:
        return {"step": [], "epoch": [], "input_mean": [], "input_std": [], "layers": {}, "initial": {},
                "epoch_logs": {}, "first_non_finite": None}

    # ------------------------------------------------------------------ events
    def on_train_begin(self, logs=None):
        self._remove_hooks()  # a step that raised (a bad batch) left its hooks: not into this fit
        layers = weighted_layers(self.model)
        if self.max_layers is not None and len(layers) > self.max_layers:
            keep = sorted({round(i) for i in np.linspace(0, len(layers) - 1, self.max_layers)})
            layers = [layers[i] for i in keep]
        self._layers = layers
        self._period = self.every or max(1, int(self.params.get("steps") or 1) // SAMPLES_PER_EPOCH)
        for name, _ in layers:
            self.history["layers"].setdefault(name, {})

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self._step % self._period:
            return
        self._sample = {}
        self._before = {name: [p.detach().clone() for p in layer.parameters(recurse=False) if p.requires_grad]
                        for name, layer in self._layers}
        for index, (name, layer) in enumerate(self._layers):
            self._hooks.append(layer.register_forward_hook(self._forward_hook(name, first=index == 0)))

    def on_train_batch_end(self, batch, logs=None):
        if self._hooks:
            self._remove_hooks()
            self._record_step()
        self._step += 1

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if key in ("loss", "val_loss"):
                self.history["epoch_logs"].setdefault(key, []).append(float(value))

    def on_train_end(self, logs=None):
        self._remove_hooks()

    # ------------------------------------------------------------------ measuring
    def _forward_hook(self, name: str, first: bool):
        def hook(layer, inputs, output):
            if not torch.is_tensor(output) or not torch.is_grad_enabled():  # evaluate/predict: not a train step
                return
            with torch.no_grad():
                x = inputs[0].detach().float() if inputs and torch.is_tensor(inputs[0]) else None
                if first and x is not None:
                    self.history["input_mean"].append(float(x.mean()))
                    self.history["input_std"].append(float(x.std()))
                if name not in self.history["initial"] and x is not None:
                    self._record_initial(name, layer, inputs[0], x, output.detach().float())
                self._sample[name] = self._activation_stats(name, layer, output.detach().float())
        return hook

    def _record_initial(self, name: str, layer: torch.nn.Module, raw_input: torch.Tensor, x: torch.Tensor,
                        out: torch.Tensor) -> None:
        """var(z) and var(z)/var(input), z the pre-activation (the layer run once without its activation)."""
        fn = getattr(layer, "activation", None)
        z = out
        if fn is not None and fn is not activations.linear and hasattr(layer, "call"):
            layer.activation = activations.linear
            try:
                z = layer.call(raw_input).detach().float()
            finally:
                layer.activation = fn
        z_var, x_var = float(z.var()), float(x.var())
        self.history["initial"][name] = {"z_var": z_var, "var_ratio": z_var / x_var if x_var > 0 else math.nan}

    def _activation_stats(self, name: str, layer: torch.nn.Module, out: torch.Tensor) -> dict[str, float]:
        # as few passes over the activations as possible: the sampled step should cost little more than others
        std, mean = torch.std_mean(out) if out.numel() > 1 else (torch.zeros(()), out.mean())
        stats = {"act_mean": float(mean), "act_std": float(std)}
        kind = activation_name(layer)
        if kind == "relu":
            axis = _unit_axis(layer, out)
            others = [d for d in range(out.dim()) if d != axis]
            peak = out.amax(dim=others) if others else out
            stats["dead_fraction"] = float((peak <= 0).float().mean())  # never positive on the sample
        elif kind == "sigmoid":
            stats["saturated_fraction"] = float(((out < SIGMOID_FLAT) | (out > 1 - SIGMOID_FLAT)).float().mean())
        elif kind == "tanh":
            stats["saturated_fraction"] = float((out.abs() > TANH_FLAT).float().mean())
        if not math.isfinite(stats["act_mean"]) and self.history["first_non_finite"] is None:  # NaN/inf make the mean so
            self.history["first_non_finite"] = (name, self._step)
        flat = out.flatten()
        if flat.numel() > HISTOGRAM_VALUES:
            flat = flat[torch.linspace(0, flat.numel() - 1, HISTOGRAM_VALUES, device=flat.device).long()]
        self.activations[name] = flat.cpu().numpy()
        return stats

    def _record_step(self) -> None:
        self.history["step"].append(self._step)
        self.history["epoch"].append(self._epoch)
        for name, layer in self._layers:
            params = [p for p in layer.parameters(recurse=False) if p.requires_grad]
            grads = [p.grad for p in params if p.grad is not None]
            weight_norm = _norm(params)
            stats = dict(self._sample.get(name, {}))
            stats["weight_norm"] = weight_norm
            if grads:
                grad_norm = _norm(grads)
                stats["grad_norm"] = grad_norm
                stats["grad_rms"] = grad_norm / math.sqrt(sum(g.numel() for g in grads))
            update = _norm([p.detach() - b for p, b in zip(params, self._before.get(name, []))])
            stats["update_ratio"] = update / weight_norm if weight_norm > 0 else math.nan
            record = self.history["layers"].setdefault(name, {})
            for key, value in stats.items():
                record.setdefault(key, []).append(value)
        self._before = {}

    def _remove_hooks(self) -> None:
        for handle in self._hooks:
            handle.remove()
        self._hooks = []

    # ------------------------------------------------------------------ results
    @property
    def findings(self) -> list[Finding]:
        """The detectors' findings on what was recorded so far (see :mod:`glassnet.diagnose.findings`)."""
        return detect(self.history)

    def report(self, print_table: bool = True) -> list[Finding]:
        """Print the findings as a table (rich) and return them.

        >>> Monitor().report()
        Monitor: no problem found (0 samples).
        []
        """
        found = self.findings
        if print_table:
            if not found:
                print(f"Monitor: no problem found ({len(self.history['step'])} samples).")
            else:
                from rich.console import Console
                from rich.table import Table
                table = Table(title="Monitor: what looks wrong", show_lines=True)
                for column in ("finding", "layer", "evidence", "advice"):
                    table.add_column(column)
                for kind, layers, evidence, advice in _grouped(found):
                    table.add_row(kind, layers, evidence, advice)
                Console().print(table)
        return found

    def to_markdown(self) -> str:
        """The findings as a markdown table (what ``diagnosis.md`` and notebooks show).

        >>> Monitor().to_markdown()
        'Monitor: no problem found (0 samples).\\n'
        """
        found = self.findings
        if not found:
            return f"Monitor: no problem found ({len(self.history['step'])} samples).\n"
        lines = ["| finding | layer | evidence | advice |", "|---|---|---|---|"]
        for row in _grouped(found):
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        """Jupyter's rich output: the findings table."""
        return self.to_markdown()

    def _repr_png_(self) -> bytes:
        """Jupyter's image output: the gradient flow and activation histograms (:meth:`plot`)."""
        return figure_png(self.plot(), close=False)

    def plot(self, path: str | Path | None = None) -> Figure:
        """The gradient flow (each layer's gradient norm over the samples, log scale) beside a
        histogram of each layer's activations on the last sample; saved as a PNG at ``path``.

        >>> Monitor().plot().axes[0].get_yscale()
        'log'
        """
        names = list(self.history["layers"])
        columns = min(4, max(1, len(self.activations)))
        rows = max(1, math.ceil(len(self.activations) / columns))
        fig = Figure(figsize=(12, max(4.0, 1.6 * rows)))
        grid = fig.add_gridspec(rows, 2 + columns)
        flow = fig.add_subplot(grid[:, :2])
        colors = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, max(len(names), 1)))
        color_of = dict(zip(names, colors))
        for name in names:
            norms = self.history["layers"][name].get("grad_norm", [])
            if norms:
                flow.plot(self.history["step"][:len(norms)], norms, "o-", ms=3, color=color_of[name], label=name)
        flow.set_yscale("log")
        flow.set_xlabel("training step")
        flow.set_ylabel("gradient norm (log scale)")
        flow.set_title("Gradient flow per layer (first layer dark)")
        if names:
            flow.legend(fontsize=7)
        for index, (name, values) in enumerate(self.activations.items()):
            ax = fig.add_subplot(grid[index // columns, 2 + index % columns])
            finite = values[np.isfinite(values)]
            if finite.size:
                ax.hist(finite, bins=40, color=color_of.get(name, "C0"))
            ax.set_title(f"{name} activations", fontsize=8)
            ax.tick_params(labelsize=6)
            ax.set_yticks([])
        fig.tight_layout()
        if path is not None:
            save_figure(fig, path, close=False)  # a Figure of its own, not pyplot's: nothing to release
        return fig


def _grouped(found: list[Finding]) -> list[tuple[str, str, str, str]]:
    """Table rows: consecutive findings of one kind share a row (their layers listed, first evidence).

    >>> rows = _grouped([Finding('k', 'a', 'e1', 'x'), Finding('k', 'b', 'e2', 'x'), Finding('m', '', 'e3', 'y')])
    >>> [row[:3] for row in rows]
    [('k', 'a, b', 'a: e1; b: e2'), ('m', '(network)', 'e3')]
    """
    rows: list[list[Finding]] = []
    for f in found:
        if rows and rows[-1][0].kind == f.kind and rows[-1][0].advice == f.advice:
            rows[-1].append(f)
        else:
            rows.append([f])
    table = []
    for group in rows:
        first, last = group[0], group[-1]
        if len(group) == 1:
            table.append((first.kind, first.layer or "(network)", first.evidence, first.advice))
            continue
        evidence = f"{first.layer}: {first.evidence}; {last.layer}: {last.evidence}"
        names = ", ".join(f.layer for f in group) if len(group) <= 3 else f"{first.layer} … {last.layer} ({len(group)} layers)"
        table.append((first.kind, names, evidence, first.advice))
    return table


__all__ = ["Monitor", "activation_name", "weighted_layers"]
