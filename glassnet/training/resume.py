"""Exact resume: the random-number generators and callback state that a saved model carries.

``model.save`` stores, besides weights and optimizer state, :func:`capture`'s snapshot:
the torch (CPU and CUDA), numpy and Python random states, and the ``state_dict()`` of
each callback of the last ``fit`` (ReduceLROnPlateau's wait and best value,
EarlyStopping's patience counter, ModelCheckpoint's best value...). ``fit`` calls
:func:`restore` just before its first epoch when the model was loaded with such a
snapshot and resumes at ``initial_epoch > 0``: the run continues bit-identically on the
CPU, Dropout masks and shuffles included. Callbacks are matched by type and order.

>>> import torch
>>> state = capture(None, [])
>>> a = torch.rand(3)
>>> restore(None, [], state)
>>> bool(torch.equal(a, torch.rand(3)))
True
"""

from __future__ import annotations

import random
from typing import Any, Iterable

import numpy as np
import torch

from glassnet.errors import DataFileError

FORMAT = 1


def rng_state() -> dict[str, Any]:
    """The global generators' states: torch CPU (+ every CUDA device), numpy, Python ``random``."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": version, "internal": list(internal), "gauss": gauss},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`rng_state` (raises :class:`DataFileError` if the snapshot is malformed)."""
    try:
        torch.set_rng_state(_byte_tensor(state["torch"]))
        numpy = state["numpy"]
        keys = np.asarray(numpy["keys"].numpy() if torch.is_tensor(numpy["keys"]) else numpy["keys"])
        if keys.shape != (624,) or keys.min() < 0 or keys.max() >= 2**32:
            raise ValueError("numpy key array must hold 624 unsigned 32-bit values")
        np.random.set_state((str(numpy["kind"]), keys.astype(np.uint32), int(numpy["pos"]),
                             int(numpy["has_gauss"]), float(numpy["cached_gaussian"])))
        python = state["python"]
        gauss = python["gauss"]
        random.setstate((int(python["version"]), tuple(int(v) for v in python["internal"]),
                         None if gauss is None else float(gauss)))
        if "cuda" in state and torch.cuda.is_available():
            for device, value in enumerate(state["cuda"][:torch.cuda.device_count()]):
                torch.cuda.set_rng_state(_byte_tensor(value), device)
    except (KeyError, TypeError, ValueError, IndexError, RuntimeError, AttributeError) as err:
        raise DataFileError(f"The saved random-number state is malformed ({err}); the file was edited or is "
                            "corrupt. Load it and fit without initial_epoch for a fresh (non-exact) run.") from err


def _byte_tensor(value: Any) -> torch.Tensor:
    if not torch.is_tensor(value) or value.dtype != torch.uint8 or value.dim() != 1:
        raise ValueError("a generator state must be a 1-D uint8 tensor")
    return value.cpu()


def _keyed(callbacks: Iterable[Any]) -> list[tuple[str, Any]]:
    """(``ClassName#n``, callback) pairs: the n-th callback of that type, from 0."""
    seen: dict[str, int] = {}
    keyed = []
    for cb in callbacks:
        name = type(cb).__name__
        keyed.append((f"{name}#{seen.get(name, 0)}", cb))
        seen[name] = seen.get(name, 0) + 1
    return keyed


def capture(model: Any, callbacks: Iterable[Any]) -> dict[str, Any]:
    """Snapshot for an exact resume: RNG states and ``{key: callback.state_dict()}``.

    ``model`` is accepted for symmetry with :func:`restore` (and future per-model state).
    """
    states = {}
    for key, cb in _keyed(callbacks):
        state = cb.state_dict() if hasattr(cb, "state_dict") else {}
        if state:
            states[key] = state
    return {"format": FORMAT, "rng": rng_state(), "callbacks": states}


def restore(model: Any, callbacks: Iterable[Any], state: dict[str, Any] | None) -> None:
    """Apply a :func:`capture` snapshot: callback states to callbacks of the same type and order,
    then the RNG states. Call it right before the first resumed epoch (after building the model)."""
    if not state:
        return
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise DataFileError(f"The saved resume state has an unknown format ({state.get('format') if isinstance(state, dict) else state!r}); "
                            "it was written by another glassnet version. Fit without initial_epoch to start afresh.")
    saved = state.get("callbacks") or {}
    for key, cb in _keyed(callbacks):
        if key in saved and hasattr(cb, "load_state_dict"):
            try:
                cb.load_state_dict(saved[key])
            except (KeyError, TypeError, ValueError, AttributeError) as err:
                raise DataFileError(f"The saved state of callback {key.split('#')[0]} is malformed ({err!r}). "
                                    "Resume without it: fit with a fresh callback and without initial_epoch.") from err
    set_rng_state(state.get("rng") or {})


__all__ = ["capture", "restore", "rng_state", "set_rng_state"]
