"""What the monitoring callbacks share: which way a metric should go, what counts as better,
and a clear warning when the monitored value is missing from the logs.

>>> resolve_mode('val_accuracy', 'auto', 'EarlyStopping'), resolve_mode('val_loss', 'auto', 'EarlyStopping')
('max', 'min')
>>> improved(0.5, 0.6, 'min', min_delta=0.05), improved(0.58, 0.6, 'min', min_delta=0.05)
(True, False)
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Mapping

# Substrings of metric names that are better when higher (everything else, losses included, is lower-better).
HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou")


def resolve_mode(monitor: str, mode: str, who: str) -> str:
    """'min' or 'max' for ``monitor``; 'auto' guesses from the name (accuracy-like -> 'max')."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}.")
    if mode != "auto":
        return mode
    name = monitor.lower()
    if "loss" not in name and any(part in name for part in HIGHER_IS_BETTER):
        return "max"
    return "min"


def worst(mode: str) -> float:
    """The starting 'best' value: anything beats it."""
    return math.inf if mode == "min" else -math.inf


def improved(current: float, reference: float, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``current`` beats ``reference`` by more than ``min_delta`` in direction ``mode``."""
    if mode == "min":
        return current < reference - abs(min_delta)
    return current > reference + abs(min_delta)


def monitored_value(logs: Mapping[str, Any] | None, monitor: str, who: str) -> float | None:
    """``logs[monitor]`` as a float, or None with a warning that lists the available keys."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        hint = (" 'val_' values need validation_data= or validation_split= in fit()."
                if monitor.startswith("val_") else "")
        warnings.warn(f"{who} monitors '{monitor}', which is not in the logs. Available: "
                      f"{', '.join(sorted(logs)) or '(none)'}.{hint}", RuntimeWarning, stacklevel=3)
        return None
    return float(value)
