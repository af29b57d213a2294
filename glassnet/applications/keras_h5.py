"""Reading Keras ``.h5`` weight files into glassnet models (h5py only, no TensorFlow).

Keras stores, per layer, TensorFlow-layout arrays: conv kernels (kh, kw, in, out),
depthwise kernels (kh, kw, in, multiplier), dense kernels (in, out) and batch-norm
``gamma/beta/moving_mean/moving_variance``. We convert them to PyTorch's layout:

* conv kernel HWIO -> OIHW (``transpose(3, 2, 0, 1)``);
* depthwise kernel (kh, kw, C, m) -> (C·m, 1, kh, kw), output channel ``c·m + j`` as in Keras;
* dense kernel (in, out) -> (out, in); after a Flatten of a conv stack Keras' rows run in
  (H, W, C) order — a model whose Flatten works in (C, H, W) order (torchvision's) declares
  the feature-map shape in ``keras_flatten`` and the rows are permuted;
* batch norm: gamma -> weight, beta -> bias, moving mean/variance -> running_mean/var;
* SimpleRNN/LSTM/GRU (also inside Bidirectional) and Embedding: the layer's own ``set_weights``
  takes Keras' arrays (kernel, recurrent_kernel, bias; GRU's gate order and (2, 3·units) bias).
  The epsilon is not in a weights-only file; when the file holds the model config
  (a whole-model ``.h5``) each layer's epsilon is copied from it.

Layers are matched by name (our module path with '.' -> '_', or the model's
``keras_names()`` table), then — for Keras' automatic names like ``conv2d_7`` —
by creation order within each kind. Every tensor must be used and none missing,
otherwise a :class:`~glassnet.errors.DataFileError` lists them.

>>> keras_kind(['kernel:0'], [(3, 3, 3, 8)])
'conv'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from glassnet.errors import DataFileError
from glassnet.layers import RNN, Bidirectional, Dense, Embedding
from glassnet.layers.convolutional import Conv2D, DepthwiseConv2D, SeparableConv2D
from glassnet.layers.normalization import BatchNormalization
from glassnet.layers.recurrent_cells import RecurrentWeights

#: kinds loaded through the layer's own ``set_weights`` (Keras' arrays and order: recurrent gate layouts, biases)
_KERAS_ORDER_KINDS = ("recurrent", "bidirectional", "embedding")
_BN_KEYS = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}


def read_keras_h5(path: str | Path) -> tuple[list[tuple[str, dict[str, np.ndarray]]], dict]:
    """``([(layer_name, {short_weight_name: array})...], model_config)`` from a Keras h5 file.

    Layers without weights are skipped; ``model_config`` is ``{}`` for weights-only files.
    """
    import h5py

    try:
        with h5py.File(path, "r") as f:
            config = _model_config(f)
            group = f["model_weights"] if "model_weights" in f else f
            if "layer_names" not in group.attrs:
                raise DataFileError(f"{path} is an HDF5 file but not a Keras weights file (no 'layer_names'). "
                                    "Save it with Keras' model.save_weights('...h5') or model.save('...h5').")
            layers = []
            for raw in group.attrs["layer_names"]:
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                g = _member(group, name, path, "layer group")
                weight_names = [w.decode() if isinstance(w, bytes) else str(w) for w in g.attrs.get("weight_names", [])]
                if weight_names:
                    arrays: dict[str, np.ndarray] = {}
                    for w in weight_names:  # a Bidirectional repeats short names: the backward half keeps its path
                        key = _short(w) if _short(w) not in arrays else w
                        arrays[key] = _numeric(_member(g, w, path, "weight"), w, path)
                    layers.append((name, arrays))
    except OSError as err:
        raise DataFileError(f"Cannot read {path} as a Keras HDF5 weights file ({err}). The file is truncated or "
                            "corrupt: download it again (check its size and checksum).") from err
    return layers, config


def _member(group, name: str, path, what: str):
    """``group[name]``, or a clear error when the file lists a layer/weight it does not hold."""
    try:
        return group[name]
    except (KeyError, ValueError) as err:
        raise DataFileError(f"{path} lists the {what} '{name}' but does not contain it: the file is truncated "
                            "or was edited. Download or save it again.") from err


def _numeric(dataset, name: str, path) -> np.ndarray:
    array = np.asarray(dataset)
    if array.dtype.kind not in "fiub":
        raise DataFileError(f"{path}: weight '{name}' holds {array.dtype} values, not numbers. The file is "
                            "corrupt or not a Keras weights file.")
    return array.astype(np.float32, copy=False) if array.dtype.kind != "f" else array


def _short(weight_name: str) -> str:
    """'conv_dw_1/depthwise_kernel:0' -> 'depthwise_kernel'."""
    return weight_name.split("/")[-1].split(":")[0]


def _model_config(f) -> dict:
    raw = f.attrs.get("model_config")
    if raw is None:
        return {}
    try:
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, AttributeError, RecursionError):
        return {}
    return config if isinstance(config, dict) else {}


def keras_kind(names: list[str], shapes: list[tuple]) -> str:
    """The kind of a Keras layer from its weight names: conv, depthwise, separable, dense or bn.

    >>> keras_kind(['gamma', 'beta', 'moving_mean', 'moving_variance'], [(8,)] * 4)
    'bn'
    """
    short = [_short(n) for n in names]
    if "recurrent_kernel" in short:  # SimpleRNN/LSTM/GRU, or both halves of a Bidirectional one
        return "bidirectional" if short.count("recurrent_kernel") == 2 else "recurrent"
    if "embeddings" in short:
        return "embedding"
    if "pointwise_kernel" in short:
        return "separable"
    if "depthwise_kernel" in short:
        return "depthwise"
    if "moving_mean" in short:
        return "bn"
    if "kernel" in short:
        return "conv" if len(shapes[short.index("kernel")]) == 4 else "dense"
    return "other"


def module_kind(module: torch.nn.Module) -> str | None:
    """The Keras kind a glassnet layer corresponds to (None for weightless layers)."""
    if isinstance(module, Bidirectional):
        return "bidirectional"
    if isinstance(module, (RecurrentWeights, RNN)):
        return "recurrent"
    if isinstance(module, Embedding):
        return "embedding"
    if isinstance(module, SeparableConv2D):
        return "separable"
    if isinstance(module, DepthwiseConv2D):
        return "depthwise"
    if isinstance(module, Conv2D):
        return "conv"
    if isinstance(module, Dense):
        return "dense"
    if isinstance(module, BatchNormalization):
        return "bn"
    return None


def _auto_index(name: str) -> tuple[str, int]:
    """Keras' automatic names: 'conv2d_7' -> ('conv2d', 7); 'conv2d' -> ('conv2d', 0)."""
    match = re.fullmatch(r"(.*?)(?:_(\d+))?", name)
    return match.group(1), int(match.group(2) or 0)


def convert(kind: str, arrays: dict[str, np.ndarray], module: torch.nn.Module,
            flatten_chw: tuple[int, int, int] | None = None) -> dict[str, torch.Tensor]:
    """Keras arrays of one layer -> ``{param_name: tensor}`` in the module's PyTorch layout."""
    out: dict[str, torch.Tensor] = {}
    if kind == "bn":
        for key, target in _BN_KEYS.items():
            if key in arrays:
                out[target] = torch.from_numpy(arrays[key])
        return out
    if kind == "conv":
        out["weight"] = torch.from_numpy(arrays["kernel"].transpose(3, 2, 0, 1).copy())
    elif kind == "depthwise":
        kh, kw, c, m = arrays["depthwise_kernel"].shape
        out["weight"] = torch.from_numpy(arrays["depthwise_kernel"].transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw).copy())
    elif kind == "separable":
        kh, kw, c, m = arrays["depthwise_kernel"].shape
        out["depthwise_weight"] = torch.from_numpy(
            arrays["depthwise_kernel"].transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw).copy())
        out["pointwise_weight"] = torch.from_numpy(arrays["pointwise_kernel"].transpose(3, 2, 0, 1).copy())
    elif kind == "dense":
        kernel = arrays["kernel"]
        if flatten_chw is not None:
            c, h, w = flatten_chw
            kernel = kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(c * h * w, -1)
        out["weight"] = torch.from_numpy(kernel.T.copy())
    if "bias" in arrays:
        out["bias"] = torch.from_numpy(arrays["bias"])
    return out


def load_keras_h5(model: torch.nn.Module, path: str | Path) -> dict[str, str]:
    """Load a Keras ``.h5`` weights file into ``model``; returns ``{keras_layer: module_path}``.

    Raises :class:`DataFileError` listing unused file layers and model layers left without weights.
    """
    layers, config = read_keras_h5(path)
    targets = {p: m for p, m in model.named_modules() if module_kind(m) is not None}
    wrappers = [p for p, m in targets.items() if module_kind(m) in _KERAS_ORDER_KINDS and p]
    targets = {p: m for p, m in targets.items() if not any(p.startswith(w + ".") for w in wrappers)}
    names = dict(getattr(model, "keras_names", lambda: {})())
    by_keras_name = {names.get(p, p.replace(".", "_")): p for p in targets}
    pairs: dict[str, str] = {}
    leftover_file = []
    for name, arrays in layers:
        if name in by_keras_name:
            pairs[name] = by_keras_name[name]
        else:
            leftover_file.append((name, arrays))
    used_paths = set(pairs.values())
    leftover_model = [p for p in targets if p not in used_paths]
    pairs.update(_match_by_order(leftover_file, leftover_model, targets))
    file_arrays = dict(layers)
    unused = [n for n, _ in layers if n not in pairs]
    missing = [p for p in targets if p not in pairs.values()]
    problems = []
    converted: dict[str, dict[str, torch.Tensor]] = {}
    keras_arrays: dict[str, list[np.ndarray]] = {}
    flatten = dict(getattr(model, "keras_flatten", {}) or {})
    for name, path_ in pairs.items():
        module = targets[path_]
        arrays = file_arrays[name]
        kind = keras_kind(list(arrays), [a.shape for a in arrays.values()])
        if kind != module_kind(module):
            problems.append(f"{name} ({kind}) -> {path_} ({module_kind(module)})")
            continue
        if kind in _KERAS_ORDER_KINDS:  # Keras' arrays in Keras' order: the layer's own set_weights converts them
            expected = [tuple(w.shape) for w in module.get_weights()]
            found = [tuple(a.shape) for a in arrays.values()]
            if expected != found:
                problems.append(f"{name}: file {found} vs model {expected} at {path_} (units, use_bias or GRU's "
                                "reset_after differ)")
            keras_arrays[path_] = list(arrays.values())
            continue
        tensors = convert(kind, arrays, module, flatten.get(path_))
        for key, value in tensors.items():
            target = getattr(module, key, None)
            if target is None:
                problems.append(f"{name}/{key}: the layer {path_} has no '{key}' (use_bias/center/scale differ)")
            elif tuple(target.shape) != tuple(value.shape):
                problems.append(f"{name}/{key}: file {tuple(value.shape)} vs model {tuple(target.shape)} at {path_}")
        expected = [k for k in ("weight", "bias", "running_mean", "running_var", "depthwise_weight",
                                "pointwise_weight") if getattr(module, k, None) is not None]
        problems += [f"{path_}.{k}: not in the file's layer {name}" for k in expected if k not in tensors]
        converted[path_] = tensors
    if unused or missing or problems:
        raise DataFileError(_mismatch_message(path, model, unused, missing, problems))
    with torch.no_grad():
        for path_, tensors in converted.items():
            module = targets[path_]
            for key, value in tensors.items():
                getattr(module, key).copy_(value)
    for path_, values in keras_arrays.items():
        targets[path_].set_weights(values)
    _apply_epsilons(config, pairs, targets)
    return pairs


def _match_by_order(file_layers: list[tuple[str, dict]], model_paths: list[str],
                    targets: dict[str, torch.nn.Module]) -> dict[str, str]:
    """Pair auto-named Keras layers with our modules by creation order, kind by kind."""
    pairs = {}
    by_kind_file: dict[str, list[str]] = {}
    for name, arrays in sorted(file_layers, key=lambda item: _auto_index(item[0])):
        kind = keras_kind(list(arrays), [a.shape for a in arrays.values()])
        by_kind_file.setdefault(kind, []).append(name)
    by_kind_model: dict[str, list[str]] = {}
    for p in model_paths:
        by_kind_model.setdefault(module_kind(targets[p]), []).append(p)
    for kind, names in by_kind_file.items():
        paths = by_kind_model.get(kind, [])
        if len(paths) == len(names):
            pairs.update(zip(names, paths))
    return pairs


def _apply_epsilons(config: dict, pairs: dict[str, str], targets: dict[str, Any]) -> None:
    layers = config.get("config", {}).get("layers", []) if isinstance(config.get("config"), dict) else []
    for layer in layers if isinstance(layers, list) else []:
        if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
            continue
        name = layer.get("config", {}).get("name") or layer.get("name")
        if layer.get("class_name") == "BatchNormalization" and name in pairs:
            eps = layer["config"].get("epsilon")
            if isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 < eps < 1:
                targets[pairs[name]].epsilon = float(eps)


def _mismatch_message(path, model, unused, missing, problems) -> str:
    def listing(items):
        shown = ", ".join(items[:12])
        return shown + (f" ... (+{len(items) - 12} more)" if len(items) > 12 else "")

    parts = [f"The Keras weights file {path} does not fit model '{getattr(model, 'name', type(model).__name__)}'."]
    if missing:
        parts.append(f"{len(missing)} model layer(s) get no weights from the file (missing): {listing(missing)}.")
    if unused:
        parts.append(f"{len(unused)} layer(s) in the file are unexpected (unused): {listing(unused)}.")
    if problems:
        parts.append(f"{len(problems)} shape/kind mismatch(es): {listing(problems)}.")
    parts.append("Check that the file was saved from the same architecture and configuration (alpha, "
                 "include_top, classes...), and that it is complete.")
    return " ".join(parts)


__all__ = ["read_keras_h5", "load_keras_h5", "convert", "keras_kind", "module_kind"]
