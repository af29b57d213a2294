"""Detectors: the numbers a :class:`~glassnet.diagnose.monitor.Monitor` recorded, turned into findings.

Each detector reads the monitor's ``history`` (a dict, described in :mod:`glassnet.diagnose.monitor`)
and returns :class:`Finding` objects: what is wrong, on which layer, the evidence and what to do.
The thresholds are module constants, documented where they are defined.

>>> history = {'layers': {}, 'input_mean': [127.0], 'input_std': [80.0], 'epoch_logs': {}, 'initial': {}}
>>> [f.kind for f in detect(history)]
['unnormalised inputs']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median
from typing import Any, Callable

#: a layer's gradient (RMS per weight) this many times below the last layer's: vanishing gradients
VANISHING_RATIO = 1e-3
#: ... this many times above it, or a gradient norm above EXPLODING_NORM: exploding gradients
EXPLODING_RATIO = 1e3
EXPLODING_NORM = 1e4
#: fraction of ReLU units never positive on a sample, averaged over the samples
DEAD_FRACTION = 0.5
#: fraction of sigmoid/tanh outputs on the flat part (sigmoid within 0.02 of 0 or 1: |z| > 3.9)
SATURATED_FRACTION = 0.5
#: update-to-weight ratio ||ΔW||/||W|| per step: ~1e-3 is healthy (Karpathy's rule of thumb)
UPDATE_TOO_HIGH = 5e-2
UPDATE_TOO_LOW = 1e-5
#: pre-activation variance changing this many times from the first to the last layer at the start
INIT_VARIANCE_FACTOR = 100.0
#: inputs whose mean or standard deviation is beyond these are not normalised
INPUT_MEAN_LIMIT = 3.0
INPUT_STD_LIMIT = 5.0


@dataclass(frozen=True)
class Finding:
    """One diagnosis: its ``kind``, the ``layer`` concerned ('' for the whole network), the
    ``evidence`` (numbers) and the ``advice``.

    >>> Finding('dead ReLUs', 'dense_1', '90% of units never positive', 'lower the learning rate').layer
    'dense_1'
    """

    kind: str
    layer: str
    evidence: str
    advice: str


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _typical(values: list[float]) -> float:
    values = _finite(values)
    return median(values) if values else math.nan


def _grad_rms(stats: dict[str, list[float]]) -> float:
    return _typical(stats.get("grad_rms", []))


def vanishing_gradients(history: dict[str, Any]) -> list[Finding]:
    """Layers whose gradients are orders of magnitude below the last layer's.

    >>> layers = {'a': {'grad_rms': [1e-9]}, 'b': {'grad_rms': [1e-2]}}
    >>> [f.layer for f in vanishing_gradients({'layers': layers})]
    ['a']
    """
    names = [n for n, s in history["layers"].items() if s.get("grad_rms")]
    if len(names) < 2:
        return []
    last = _grad_rms(history["layers"][names[-1]])
    found = []
    for name in names[:-1]:
        rms = _grad_rms(history["layers"][name])
        if last > 0 and 0 < rms < last * VANISHING_RATIO:  # exactly 0: a path blocked by dead ReLUs
            found.append(Finding(
                "vanishing gradients", name,
                f"gradient RMS {rms:.2g}, {last / max(rms, 1e-45):.2g}x below the last layer's ({last:.2g})",
                "use ReLU activations with He initialisation (kernel_initializer='he_normal'), add "
                "BatchNormalization, or make the network shallower; sigmoid's slope is at most 0.25 per layer"))
    return found


def exploding_gradients(history: dict[str, Any]) -> list[Finding]:
    """Layers whose gradients are huge, or far above the last layer's.

    >>> layers = {'a': {'grad_rms': [1e3], 'grad_norm': [1e5]}, 'b': {'grad_rms': [1e-2], 'grad_norm': [1.0]}}
    >>> [f.layer for f in exploding_gradients({'layers': layers})]
    ['a']
    """
    names = [n for n, s in history["layers"].items() if s.get("grad_rms")]
    if not names:
        return []
    last = _grad_rms(history["layers"][names[-1]])
    found = []
    for name in names:
        stats = history["layers"][name]
        norm = max(_finite(stats.get("grad_norm", [])), default=0.0)
        rms = _grad_rms(stats)
        if norm > EXPLODING_NORM or (last > 0 and rms > last * EXPLODING_RATIO):
            found.append(Finding(
                "exploding gradients", name, f"gradient norm up to {norm:.3g} (RMS {rms:.2g}, last layer {last:.2g})",
                "lower the learning rate, clip gradients (optimizer clipnorm=1.0), use He/Glorot initialisation "
                "or add BatchNormalization"))
    return found


def dead_relus(history: dict[str, Any]) -> list[Finding]:
    """ReLU layers where most units are never positive (they get no gradient and never recover).

    >>> layers = {'a': {'dead_fraction': [0.9, 1.0]}}
    >>> dead_relus({'layers': layers})[0].evidence
    '95% of the units never positive on a sampled batch (mean over 2 samples)'
    """
    found = []
    for name, stats in history["layers"].items():
        values = _finite(stats.get("dead_fraction", []))
        if values and sum(values) / len(values) >= DEAD_FRACTION:
            found.append(Finding(
                "dead ReLUs", name,
                f"{sum(values) / len(values):.0%} of the units never positive on a sampled batch "
                f"(mean over {len(values)} samples)",
                "check the bias initialisation (zeros), lower the learning rate, or use LeakyReLU / ELU"))
    return found


def saturated_units(history: dict[str, Any]) -> list[Finding]:
    """Hidden sigmoid/tanh layers whose outputs sit on the flat parts (almost zero gradient).

    >>> layers = {'a': {'saturated_fraction': [0.8]}, 'out': {'saturated_fraction': [0.9]}}
    >>> [f.layer for f in saturated_units({'layers': layers})]
    ['a']
    """
    names = list(history["layers"])
    found = []
    for name in names[:-1]:  # a confident sigmoid output layer is what training aims at
        values = _finite(history["layers"][name].get("saturated_fraction", []))
        if values and sum(values) / len(values) >= SATURATED_FRACTION:
            found.append(Finding(
                "saturated units", name, f"{sum(values) / len(values):.0%} of the outputs on the flat part",
                "normalise the inputs, use Glorot initialisation, a smaller learning rate, "
                "BatchNormalization, or ReLU"))
    return found


def learning_rate(history: dict[str, Any]) -> list[Finding]:
    """The learning rate judged by the update-to-weight ratio and by the epoch losses.

    >>> layers = {'a': {'update_ratio': [0.5, 0.7]}}
    >>> learning_rate({'layers': layers, 'epoch_logs': {}})[0].kind
    'learning rate too high'
    """
    ratios = {n: _typical(s.get("update_ratio", [])) for n, s in history["layers"].items()}
    ratios = {n: r for n, r in ratios.items() if math.isfinite(r)}
    losses = _finite(history.get("epoch_logs", {}).get("loss", []))
    high = "lower the learning rate (e.g. 10x, or run glassnet.diagnose.lr_find)"
    if ratios:
        top = max(ratios.values())
        if top > UPDATE_TOO_HIGH:
            layer = max(ratios, key=ratios.get)
            return [Finding("learning rate too high", layer,
                            f"update/weight ratio {top:.2g} per step (healthy: ~1e-3)", high)]
        if top < UPDATE_TOO_LOW:
            return [Finding("learning rate too low", "", f"largest update/weight ratio {top:.2g} per step "
                            f"(healthy: ~1e-3)", "raise the learning rate (e.g. 10x, or run glassnet.diagnose.lr_find)")]
    if len(losses) >= 3 and losses[-1] > losses[0]:
        return [Finding("learning rate too high", "", f"training loss rose from {losses[0]:.4g} to "
                        f"{losses[-1]:.4g} over {len(losses)} epochs", high)]
    ups = sum(b > a for a, b in zip(losses, losses[1:]))
    if len(losses) >= 5 and ups >= (len(losses) - 1) / 2:
        return [Finding("learning rate too high", "", f"training loss went up in {ups} of "
                        f"{len(losses) - 1} epochs (oscillating)", high)]
    return []


def poor_initialisation(history: dict[str, Any]) -> list[Finding]:
    """Pre-activation variance collapsing or growing layer by layer at the start of training.

    >>> initial = {'a': {'z_var': 1.0, 'var_ratio': 0.01}, 'b': {'z_var': 1e-4, 'var_ratio': 0.01},
    ...            'out': {'z_var': 1e-5, 'var_ratio': 0.1}}
    >>> poor_initialisation({'initial': initial})[0].kind
    'poor initialisation'
    """
    initial = history.get("initial", {})
    names = [n for n, v in initial.items() if math.isfinite(v.get("z_var", math.nan))]
    if len(names) < 3:  # the output layer is excluded: its scale is the loss's business
        return []
    hidden = names[:-1]
    first, last = initial[hidden[0]]["z_var"], initial[hidden[-1]]["z_var"]
    if history.get("input_std"):  # compared with the network's input, as Xavier/He argue
        first = history["input_std"][0] ** 2
    if first <= 0 or not (last / first < 1 / INIT_VARIANCE_FACTOR or last / first > INIT_VARIANCE_FACTOR):
        return []
    ratios = ", ".join(f"{initial[n]['var_ratio']:.2g}" for n in hidden)
    trend = "collapses" if last < first else "grows"
    return [Finding("poor initialisation", hidden[-1],
                    f"variance {trend} from {first:.2g} (input of {hidden[0]}) to {last:.2g} (pre-activation of {hidden[-1]}); "
                    f"var(z)/var(input) per layer: {ratios}",
                    "use He initialisation for ReLU (var(W) = 2/n: kernel_initializer='he_normal') and Glorot/Xavier "
                    "for sigmoid/tanh (var(W) = 1/n: 'glorot_normal')")]


def unnormalised_inputs(history: dict[str, Any]) -> list[Finding]:
    """The first layer's inputs far from mean 0 and standard deviation 1 (e.g. pixels in 0-255).

    >>> unnormalised_inputs({'input_mean': [0.1], 'input_std': [0.3]})
    []
    """
    mean, std = _typical(history.get("input_mean", [])), _typical(history.get("input_std", []))
    if not (abs(mean) > INPUT_MEAN_LIMIT or std > INPUT_STD_LIMIT):
        return []
    return [Finding("unnormalised inputs", "", f"input mean {mean:.3g}, standard deviation {std:.3g} "
                    f"(expected about 0 and 1)",
                    "scale the inputs: pixels x / 255, or standardise (x - mean) / std, e.g. with a "
                    "Rescaling or Normalization layer")]


def dev_loss_turned_up(history: dict[str, Any]) -> list[Finding]:
    """The validation loss rose after its best epoch while the training loss kept falling.

    >>> logs = {'loss': [1.0, 0.8, 0.6, 0.4], 'val_loss': [1.0, 0.9, 1.0, 1.2]}
    >>> dev_loss_turned_up({'epoch_logs': logs})[0].evidence.split(';')[0]
    'validation loss lowest at epoch 2 (0.9), 1.2 at epoch 4'
    """
    logs = history.get("epoch_logs", {})
    train, dev = logs.get("loss", []), logs.get("val_loss", [])
    if len(dev) < 2 or len(train) != len(dev):
        return []
    best = min(range(len(dev)), key=lambda i: dev[i])
    if best == len(dev) - 1 or not dev[-1] > dev[best] or not train[-1] < train[best]:
        return []
    return [Finding("dev loss turned up", "",
                    f"validation loss lowest at epoch {best + 1} ({dev[best]:.3g}), {dev[-1]:.3g} at epoch "
                    f"{len(dev)}; training loss fell from {train[best]:.3g} to {train[-1]:.3g}",
                    f"overfitting: EarlyStopping(monitor='val_loss', restore_best_weights=True) would have stopped "
                    f"at epoch {best + 2} keeping epoch {best + 1}'s weights; or add regularization "
                    f"(Dropout, kernel_regularizer) or more data")]


def non_finite(history: dict[str, Any]) -> list[Finding]:
    """The first layer whose output became NaN/inf on a sampled batch.

    >>> non_finite({'first_non_finite': ('dense_2', 40)})[0].layer
    'dense_2'
    """
    where = history.get("first_non_finite")
    if not where:
        return []
    return [Finding("NaN/inf activations", where[0], f"first non-finite output at training step {where[1]}",
                    "lower the learning rate, clip gradients (clipnorm=1.0), check the inputs for NaN")]


DETECTORS: tuple[Callable[[dict[str, Any]], list[Finding]], ...] = (
    non_finite, vanishing_gradients, exploding_gradients, dead_relus, saturated_units, learning_rate,
    poor_initialisation, unnormalised_inputs, dev_loss_turned_up)


def detect(history: dict[str, Any]) -> list[Finding]:
    """Every detector's findings on a monitor's ``history``, in the order of :data:`DETECTORS`."""
    history = {"layers": {}, **history}
    return [finding for detector in DETECTORS for finding in detector(history)]


__all__ = ["Finding", "detect", "DETECTORS"]
