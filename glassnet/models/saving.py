"""Saving and loading models: JSON architecture, safetensors weights, no pickle.

A saved model is one zip file holding ``config.json`` (architecture, compile
settings, training state), ``model.safetensors`` and, once trained,
``optimizer.safetensors`` + ``optimizer.json``. Writes are atomic. Loading
never unpickles: ``torch.load`` is only used with ``weights_only=True``.

>>> import tempfile, os, numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Dense
>>> model = Sequential([Dense(2, input_dim=3)])
>>> path = os.path.join(tempfile.mkdtemp(), 'm.glassnet')
>>> model.save(path)
>>> x = np.ones((1, 3), 'float32')
>>> bool(np.allclose(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0)))
True
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import glassnet
from glassnet import serialization
from glassnet.errors import DataFileError, ShapeError
from glassnet.io import atomic_path, atomic_write_bytes

FORMAT = "glassnet-model/1"


def _state_tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}


def _split_tensors(tree: Any, prefix: str, tensors: dict[str, torch.Tensor]) -> Any:
    """Replace tensors in a nested structure by references, collecting them in ``tensors``."""
    if torch.is_tensor(tree):
        tensors[prefix] = tree.detach().cpu().contiguous()
        return {"__tensor__": prefix}
    if isinstance(tree, dict):
        return {str(k): _split_tensors(v, f"{prefix}.{k}", tensors) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_split_tensors(v, f"{prefix}.{i}", tensors) for i, v in enumerate(tree)]
    return tree


def _join_tensors(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(tree, dict):
        if set(tree) == {"__tensor__"}:
            return tensors[tree["__tensor__"]]
        return {(int(k) if k.isdigit() else k): _join_tensors(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join_tensors(v, tensors) for v in tree]
    return tree


def model_config(model) -> dict:
    """``{'class_name', 'config'}`` of a model (raises a clear error if it cannot be described)."""
    try:
        config = model.get_config()
        json.dumps(config)
    except (TypeError, ValueError) as err:
        raise TypeError(f"Model '{model.name}' cannot be saved as an architecture: {err} "
                        "Use model.save_weights(path) and rebuild the model in code.") from err
    return {"class_name": type(model).__name__, "config": config}


def save_model(model, filepath: str | Path) -> None:
    """Write ``model`` to ``filepath`` atomically (see module docstring)."""
    config = {"format": FORMAT, "glassnet_version": glassnet.__version__, "model": model_config(model),
              "input_shapes": getattr(model, "_built_input_shapes", None),
              "shuffle_seed": model._shuffle_seed, "epochs_trained": _epochs_trained(model)}
    files = {"model.safetensors": st_save(_state_tensors(model))}
    setup = model.compiled
    if setup is not None:
        config["compile"] = setup.get_config()
        if setup.optimizer.built:
            tensors: dict[str, torch.Tensor] = {}
            structure = _split_tensors(setup.optimizer.state_dict(), "opt", tensors)
            files["optimizer.json"] = json.dumps(structure).encode()
            files["optimizer.safetensors"] = st_save(tensors) if tensors else b""
    files["config.json"] = json.dumps(config, indent=1).encode()
    with atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)


def _epochs_trained(model) -> int:
    history = getattr(model, "history", None)
    return len(history.epoch) if history is not None and history.epoch else 0


def _open_archive(filepath: Path) -> dict[str, bytes]:
    if not filepath.exists():
        raise DataFileError(f"No saved model at '{filepath}'.")
    try:
        with zipfile.ZipFile(filepath) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise DataFileError(f"'{filepath}' is not a complete glassnet model file ({err}). It may be "
                            "truncated or another format: save_weights files load with model.load_weights().") from err


def load_model(filepath: str | Path, custom_objects: dict | None = None, compile: bool = True):
    """Rebuild a model saved with ``model.save``: architecture, weights, and (with ``compile``)
    the optimizer state, so training continues exactly where it stopped."""
    files = _open_archive(Path(filepath))
    config = json.loads(files["config.json"])
    spec = config["model"]
    model = serialization.get_class(spec["class_name"], custom_objects).from_config(spec["config"],
                                                                                    **_custom(custom_objects, spec))
    if config.get("input_shapes") and not _has_all_weights(model, files):
        model.build(config["input_shapes"][0] if len(config["input_shapes"]) == 1 else config["input_shapes"])
        model._built_input_shapes = config["input_shapes"]
    load_state(model, st_load(files["model.safetensors"]), source=str(filepath))
    model._shuffle_seed = config.get("shuffle_seed")
    model._epochs_loaded = config.get("epochs_trained", 0)
    if compile and "compile" in config:
        from glassnet.training.setup import CompiledSetup
        model.compiled = CompiledSetup.from_config(model, config["compile"], custom_objects)
        if "optimizer.json" in files:
            tensors = st_load(files["optimizer.safetensors"]) if files["optimizer.safetensors"] else {}
            state = _join_tensors(json.loads(files["optimizer.json"]), tensors)
            model.compiled.restore_optimizer(state)
    return model


def _custom(custom_objects, spec) -> dict:
    from glassnet.models.model import Model
    cls = serialization.get_class(spec["class_name"], custom_objects)
    if issubclass(cls, Model) and "custom_objects" in cls.from_config.__code__.co_varnames:
        return {"custom_objects": custom_objects}
    return {}


def _has_all_weights(model, files) -> bool:
    saved = st_load(files["model.safetensors"])
    return set(saved) <= set(model.state_dict())


def load_state(model: torch.nn.Module, state: dict[str, torch.Tensor], strict: bool = True,
               source: str = "the file") -> None:
    """Copy ``state`` into ``model``; a clear error lists missing/unexpected/mismatched tensors."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [f"{k}: model {tuple(own[k].shape)} vs file {tuple(state[k].shape)}"
                  for k in sorted(set(own) & set(state)) if own[k].shape != state[k].shape]
    if mismatched or (strict and (missing or unexpected)):
        lines = [f"The weights in {source} do not match model '{getattr(model, 'name', type(model).__name__)}'."]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", mismatched)):
            if items:
                shown = ", ".join(items[:12]) + (f" ... ({len(items)} in all)" if len(items) > 12 else "")
                lines.append(f"  {title}: {shown}")
        lines.append("Check that the file was saved from the same architecture (and sizes).")
        raise ShapeError("\n".join(lines))
    model.load_state_dict(state, strict=strict)


def save_weights(model: torch.nn.Module, filepath: str | Path) -> None:
    """Write the model's state dict as safetensors, atomically."""
    atomic_write_bytes(filepath, st_save(_state_tensors(model)))


def load_weights(model: torch.nn.Module, filepath: str | Path, strict: bool = True) -> None:
    """Load safetensors (any extension) or a torch state dict (.pt/.pth, ``weights_only=True``)."""
    path = Path(filepath)
    if not path.exists():
        raise DataFileError(f"No weight file at '{path}'.")
    data = path.read_bytes()
    try:
        state = st_load(data)
    except Exception:
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as err:
            raise DataFileError(f"'{path}' is neither a safetensors file nor a torch state dict "
                                f"(or it is truncated): {err}") from err
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
    load_state(model, state, strict=strict, source=f"'{path}'")
