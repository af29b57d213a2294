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
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as st_save

import glassnet
from glassnet import serialization
from glassnet.errors import DataFileError, GlassnetError, ShapeError
from glassnet.io import atomic_path, atomic_write_bytes
from glassnet.models import archive as archive_io

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
    return {"class_name": serialization.registered_name(type(model)), "config": config}


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
            _add_tree(files, "optimizer", setup.optimizer.state_dict())
    from glassnet.training import resume
    _add_tree(files, "resume", resume.capture(model, getattr(model, "_fit_callbacks", None) or ()))
    files["config.json"] = json.dumps(config, indent=1).encode()
    with atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)


def _add_tree(files: dict[str, bytes], name: str, tree: Any) -> None:
    """A nested structure as ``<name>.json`` with its tensors in ``<name>.safetensors``."""
    tensors: dict[str, torch.Tensor] = {}
    structure = _split_tensors(tree, name, tensors)
    files[f"{name}.json"] = json.dumps(structure).encode()
    files[f"{name}.safetensors"] = st_save(tensors) if tensors else b""


def _epochs_trained(model) -> int:
    history = getattr(model, "history", None)
    return len(history.epoch) if history is not None and history.epoch else 0


def _check_format(config: Any, where: str) -> None:
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise DataFileError(f"'{where}': config.json does not describe a model. Re-save the model with model.save().")
    name, _, version = str(config.get("format", "")).partition("/")
    current = int(FORMAT.partition("/")[2])
    if name != "glassnet-model" or not version.isdigit():
        raise DataFileError(f"'{where}' is not a glassnet model file (format {config.get('format')!r}).")
    if int(version) > current:
        raise DataFileError(f"'{where}' was saved in model format {version} by glassnet "
                            f"{config.get('glassnet_version', '?')}; this glassnet ({glassnet.__version__}) reads "
                            f"format {current} at most. Upgrade glassnet (pip install -U glassnet).")
    spec = config["model"]
    if not isinstance(spec.get("class_name"), str) or not isinstance(spec.get("config"), dict):
        raise DataFileError(f"'{where}': config.json names no model class. Re-save the model with model.save().")


def _read_tree(archive, name: str, where: str, budget: list[int]) -> Any:
    """The structure :func:`_add_tree` wrote (None if the archive has no ``<name>.json``)."""
    raw = archive_io.read_member(archive, f"{name}.json", where, budget, required=False)
    if raw is None:
        return None
    structure = archive_io.parse_json(raw, f"'{where}' ({name}.json)")
    tensors = archive_io.load_safetensors(
        archive_io.read_member(archive, f"{name}.safetensors", where, budget), f"'{where}' ({name}.safetensors)")
    try:
        return _join_tensors(structure, tensors)
    except (KeyError, TypeError, AttributeError) as err:
        raise DataFileError(f"'{where}': {name}.json refers to a tensor that {name}.safetensors lacks ({err}). "
                            "The file is corrupt; re-save the model.") from err


def _build(config: dict, custom_objects, where: str, weight_names: set[str]):
    """The model config describes, with its weights created (lazy layers built from ``input_shapes``
    unless constructing it already created every weight the file holds)."""
    spec = config["model"]
    try:
        model = serialization.get_class(spec["class_name"], custom_objects).from_config(
            spec["config"], **_custom(custom_objects, spec))
        if config.get("input_shapes") and not weight_names <= set(model.state_dict()):
            shapes = config["input_shapes"]
            model.build(shapes[0] if len(shapes) == 1 else shapes)
            model._built_input_shapes = shapes
    except GlassnetError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError, RuntimeError) as err:
        raise DataFileError(f"'{where}': the architecture in config.json cannot be rebuilt "
                            f"({type(err).__name__}: {err}). The file is corrupt or was edited; if the model "
                            "uses your own layers, pass them in custom_objects=.") from err
    return model


def _custom(custom_objects, spec) -> dict:
    from glassnet.models.model import Model
    cls = serialization.get_class(spec["class_name"], custom_objects)
    if issubclass(cls, Model) and "custom_objects" in cls.from_config.__code__.co_varnames:
        return {"custom_objects": custom_objects}
    return {}


def _check_sizes(config: dict, custom_objects, header: dict, where: str) -> None:
    """Build the architecture on the meta device (no memory) and compare it with the weight file's
    header before anything real is allocated: a config naming a huge layer is refused here."""
    try:
        with torch.device("meta"):
            probe = _build(config, custom_objects, where, set(header))
    except Exception:  # a broken config, or a layer that cannot run on the meta device: the real build reports it
        return
    own = probe.state_dict()
    count = sum(t.numel() for t in own.values())
    if count > archive_io.LIMITS.max_parameters:
        raise DataFileError(f"'{where}' describes a model with {count:,} numbers, over the limit of "
                            f"{archive_io.LIMITS.max_parameters:,}: refused before allocating it. If it is genuine, "
                            "raise glassnet.models.archive.LIMITS.max_parameters.")
    mismatched = [f"{k}: model {tuple(v.shape)} vs file {shape}" for k, v in own.items()
                  if k in header and tuple(v.shape) != header[k][1] for shape in [header[k][1]]]
    if mismatched:
        raise ShapeError(f"'{where}': the architecture in config.json does not match its weights "
                         f"({'; '.join(mismatched[:6])}). The file is corrupt or was edited; re-save the model.")


def _warn_non_finite(model, where: str) -> None:
    bad = [name for name, t in model.state_dict().items()
           if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        warnings.warn(f"'{where}': {len(bad)} weight tensor(s) hold NaN or infinite values "
                      f"({', '.join(bad[:6])}{' ...' if len(bad) > 6 else ''}); predictions will be NaN. The run "
                      "that saved it diverged: load an earlier checkpoint, or retrain with a lower learning rate.",
                      RuntimeWarning, stacklevel=3)


def load_model(filepath: str | Path, custom_objects: dict | None = None, compile: bool = True):
    """Rebuild a model saved with ``model.save``: architecture, weights, and (with ``compile``)
    the optimizer state and resume snapshot, so training continues exactly where it stopped.

    Only the members it needs are read, each within :data:`glassnet.models.archive.LIMITS`; the
    architecture is checked against the weight file's header before any weight is allocated; a
    file that is truncated, corrupt, crafted or from a newer glassnet raises
    :class:`~glassnet.errors.DataFileError` (never a raw traceback).
    """
    where = str(filepath)
    budget = [archive_io.LIMITS.max_total_bytes]
    with archive_io.open_model_file(Path(filepath)) as archive:
        config = archive_io.parse_json(archive_io.read_member(archive, "config.json", where, budget),
                                       f"'{where}' (config.json)")
        _check_format(config, where)
        weights = archive_io.read_member(archive, "model.safetensors", where, budget)
        header = archive_io.safetensors_header(weights, f"'{where}' (model.safetensors)")
        _check_sizes(config, custom_objects, header, where)
        model = _build(config, custom_objects, where, set(header))
        load_state(model, archive_io.load_safetensors(weights, f"'{where}' (model.safetensors)"), source=where)
        del weights
        _warn_non_finite(model, where)
        model._shuffle_seed = _int_or_none(config.get("shuffle_seed"))
        model._epochs_loaded = _int_or_none(config.get("epochs_trained")) or 0
        if compile and isinstance(config.get("compile"), dict):
            _compile_from(model, config["compile"], custom_objects, archive, where, budget)
            model._resume_state = _read_tree(archive, "resume", where, budget)
    return model


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62 else None


def _compile_from(model, compile_config: dict, custom_objects, archive, where: str, budget: list[int]) -> None:
    from glassnet.training.compile_config import CompileConfig
    try:
        model.compiled = CompileConfig.from_config(model.output_names, compile_config)
    except GlassnetError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise DataFileError(f"'{where}': the compile settings in config.json are invalid ({type(err).__name__}: "
                            f"{err}). Load with compile=False and call compile() again.") from err
    state = _read_tree(archive, "optimizer", where, budget)
    if state is not None:
        _check_optimizer_state(model.compiled.optimizer, model, state)
        model.compiled.restore_optimizer(state)


def _check_optimizer_state(optimizer, model, state) -> None:
    """Validate the saved optimizer state now, on a throw-away copy bound to the loaded weights,
    so a crafted file fails at load time and never reaches a fused update (``fit`` checks again)."""
    from glassnet.training.run import trainable_parameters
    probe = type(optimizer).from_config(optimizer.get_config())
    probe.build(trainable_parameters(model))
    probe.load_state_dict(state)


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
    """Load safetensors (any extension), a torch state dict (.pt/.pth, ``weights_only=True``) or a
    Keras ``.h5`` weights file (:mod:`glassnet.applications.keras_h5`)."""
    path = Path(filepath)
    if not path.exists():
        raise DataFileError(f"No weight file at '{path}'.")
    if not path.is_file():
        raise DataFileError(f"'{path}' is not a regular file: give the path of a weights file.")
    with open(path, "rb") as f:
        is_hdf5 = f.read(8) == b"\x89HDF\r\n\x1a\n"  # by content: save_weights("x.weights.h5") writes safetensors
    if is_hdf5 or (path.suffix.lower() in (".h5", ".hdf5") and path.stat().st_size < 8):
        from glassnet.applications.keras_h5 import load_keras_h5
        load_keras_h5(model, path)
        return
    data = path.read_bytes()
    if _looks_like_safetensors(data):
        state = archive_io.load_safetensors(data, f"'{path}'")
    else:
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as err:
            first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise DataFileError(f"'{path}' is neither a safetensors file nor a torch state dict "
                                f"(or it is truncated): {first_line}") from err
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        if not isinstance(state, dict) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
            raise DataFileError(f"'{path}' holds a {type(state).__name__}, not a state dict of named tensors.")
    load_state(model, state, strict=strict, source=f"'{path}'")


def _looks_like_safetensors(data: bytes) -> bool:
    return len(data) >= 10 and int.from_bytes(data[:8], "little") <= len(data) - 8 and data[8:9] == b"{"
