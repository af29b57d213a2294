"""``weights=``: pretrained weights from a known name or a file, checked tensor by tensor.

* ``'imagenet'`` (or another name listed in the registry): the official file is looked
  for in ``$GLASSNET_DATA/weights/`` and downloaded there (checksum verified) if absent;
  offline, the error says which file to place where.
* a path: Keras ``.h5``/``.hdf5`` (see :mod:`glassnet.applications.keras_h5`), a torchvision
  or PyTorch state dict ``.pth``/``.pt`` (read with ``weights_only=True``: no code runs), or
  glassnet's own ``.safetensors``.

A file that does not fit (another architecture, another alpha, truncated) raises
:class:`~glassnet.errors.DataFileError` listing the missing and unexpected tensors.

>>> is_weights_path('resnet18-f37072fd.pth'), is_weights_path('imagenet')
(True, False)
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping

import torch

from glassnet.applications.registry import ModelInfo, WeightSpec, get_model_info
from glassnet.errors import DataFileError, UnsafeFileError
from glassnet.io import atomic_path

_SUFFIXES = (".h5", ".hdf5", ".keras", ".pth", ".pt", ".bin", ".safetensors")


def is_weights_path(weights: Any) -> bool:
    """True when ``weights`` names a file rather than a weight set."""
    if isinstance(weights, os.PathLike):
        return True
    return isinstance(weights, str) and (weights.lower().endswith(_SUFFIXES) or os.sep in weights)


def build_application(model_id: str, cls: type, weights: Any, include_top: bool, classes: int,
                      input_shape: Any = None, **arch: Any):
    """Build ``cls`` for registered model ``model_id`` and load ``weights`` (None, a set name or a path).

    With a classifier file and ``classes != 1000`` the model is built with 1000 classes,
    loaded, then given a fresh ``classes``-way classifier (transfer learning).
    """
    info = get_model_info(model_id)
    spec = None
    if weights is not None and not is_weights_path(weights):
        spec = info.find_weights(str(weights), include_top, arch)
        arch.update(spec.builder_args)
    if input_shape is not None:
        arch["input_shape"] = tuple(input_shape)
    file_classes = 1000 if spec is not None and spec.include_top else classes
    model = cls(include_top=include_top, classes=file_classes if include_top else classes, **arch)
    if spec is not None:
        load_weights_file(model, fetch_weights(spec, info), spec.format)
    elif weights is not None:
        load_weights_file(model, Path(weights))
    if include_top and file_classes != classes:
        model.reset_classifier(classes)
    return model


# ---------------------------------------------------------------------------- files
def load_weights_file(model: torch.nn.Module, path: str | Path, format: str | None = None) -> None:
    """Load a weights file of any supported format into ``model`` (strict: every tensor must fit).

    >>> from glassnet.applications import LeNet5
    >>> import tempfile, os
    >>> m = LeNet5(); p = os.path.join(tempfile.mkdtemp(), 'lenet.pth'); torch.save(m.state_dict(), p)
    >>> load_weights_file(LeNet5(), p)
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"Weights file {path} does not exist. Give the path of a .h5 (Keras), .pth "
                            "(torchvision/PyTorch) or .safetensors (glassnet) file, or a weight-set name "
                            "such as 'imagenet'.")
    suffix = path.suffix.lower()
    format = format or ("keras_h5" if suffix in (".h5", ".hdf5", ".keras") else
                        "safetensors" if suffix == ".safetensors" else "torch")
    if format == "keras_h5":
        from glassnet.applications.keras_h5 import load_keras_h5
        load_keras_h5(model, path)
    elif format == "safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            state = load_file(str(path))
        except (SafetensorError, OSError, ValueError) as err:
            raise DataFileError(f"Cannot read {path} as safetensors ({err}); it is truncated or corrupt.") from err
        load_state_dict_checked(model, state, str(path))
    else:
        load_state_dict_checked(model, read_torch_state_dict(path), str(path))


def read_torch_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a ``.pth`` file, read with ``weights_only=True`` (plain tensors only).

    Checkpoints that wrap the state dict (``{'state_dict': ...}`` or ``{'model': ...}``) are unwrapped.
    """
    if Path(path).stat().st_size == 0:
        raise DataFileError(f"{path} is empty (0 bytes), not a PyTorch state dict: the download or save was "
                            "interrupted. Delete it and download or save it again.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise DataFileError(f"Cannot read {path} as a PyTorch state dict ({first_line}). It is "
                            "truncated or corrupt: download it again.") from err
    except Exception as err:  # pickle.UnpicklingError: a code-running pickle names a global; else corrupt
        if "global" not in str(err).lower() and "reduce" not in str(err).lower():
            raise DataFileError(f"Cannot read {path} as a PyTorch state dict: it is corrupt (not a valid "
                                "weights-only pickle). Download or save it again.") from err
        raise UnsafeFileError(f"{path} is not a plain weights file: loading it would run code "
                              f"({type(err).__name__}). Use a state dict saved with torch.save(model.state_dict()).") from err
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), Mapping):
            state = state[key]
    if not isinstance(state, Mapping) or not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        raise DataFileError(f"{path} holds a {type(state).__name__}, not a state dict of named tensors. "
                            "Save one with torch.save(model.state_dict(), path).")
    return dict(state)


def load_state_dict_checked(model: torch.nn.Module, state: Mapping[str, torch.Tensor], source: str = "the state dict"
                            ) -> None:
    """``model.load_state_dict(state, strict=True)`` with an error that lists what does not fit.

    Keys under a prefix the model declares droppable (its classifier when built with
    ``include_top=False``, auxiliary heads that were turned off) are ignored; a missing
    ``num_batches_tracked`` counter (old files) is filled in.
    """
    state = dict(state)
    remap = getattr(model, "remap_state_dict", None)
    if remap is not None:
        state = remap(state)
    own = model.state_dict()
    droppable = tuple(getattr(model, "droppable_prefixes", lambda: ())())
    for key in [k for k in state if k not in own and droppable and k.startswith(droppable)]:
        del state[key]
    for key in own:
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = own[key]
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
                  for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or mismatched:
        raise DataFileError(_state_message(model, source, missing, unexpected, mismatched))
    model.load_state_dict(state, strict=True)


def _state_message(model, source, missing, unexpected, mismatched) -> str:
    def listing(items):
        return ", ".join(items[:12]) + (f" ... (+{len(items) - 12} more)" if len(items) > 12 else "")

    parts = [f"{source} does not fit model '{getattr(model, 'name', type(model).__name__)}'."]
    if missing:
        parts.append(f"Missing {len(missing)} tensor(s): {listing(missing)}.")
    if unexpected:
        parts.append(f"Unexpected {len(unexpected)} tensor(s): {listing(unexpected)}.")
    if mismatched:
        parts.append(f"{len(mismatched)} shape mismatch(es): {listing(mismatched)}.")
    parts.append("The file was saved from another architecture or configuration (depth, alpha, classes, "
                 "conv_bias, aux_logits...): build the matching model, or use include_top=False for a backbone.")
    return " ".join(parts)


# ---------------------------------------------------------------------------- named weight sets
def weights_dir() -> Path:
    """Where pretrained weight files live: ``$GLASSNET_DATA/weights``.

    >>> weights_dir().name
    'weights'
    """
    from glassnet.datasets.files import data_dir
    return data_dir() / "weights"


def _check(path: Path, spec: WeightSpec) -> None:
    algorithm = "md5" if spec.md5 else "sha256"
    expected = spec.md5 or spec.sha256 or spec.sha256_prefix
    if expected is None:
        return
    from glassnet.datasets.files import file_digest
    actual = file_digest(path, algorithm)
    if not actual.startswith(expected.lower()):
        raise DataFileError(f"{path} is truncated or corrupt: its {algorithm} is {actual}, the official one "
                            f"{'starts with ' if spec.sha256_prefix and not spec.sha256 else 'is '}{expected}. "
                            f"Delete it and download {spec.url} again.")


def fetch_weights(spec: WeightSpec, info: ModelInfo | None = None, download: bool = True) -> Path:
    """The verified local path of a weight file, downloading it into :func:`weights_dir` if needed."""
    target = weights_dir() / spec.filename
    if target.is_file():
        _check(target, spec)
        return target
    what = f"{info.name} weights '{spec.name}'" if info else f"weights '{spec.name}'"
    if download:
        try:
            _download(spec, target)
            return target
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = getattr(err, "reason", err)
    else:
        reason = "downloads are turned off"
    checksum = (f" (md5 {spec.md5})" if spec.md5 else f" (sha256 {spec.sha256})" if spec.sha256 else
                f" (sha256 starting {spec.sha256_prefix})" if spec.sha256_prefix else "")
    raise DataFileError(f"The {what} are not on this machine and could not be downloaded ({reason}). Download "
                        f"{spec.url}{checksum} elsewhere and place it at {target} (or set GLASSNET_DATA to a "
                        f"folder holding weights/{spec.filename}); or pass weights=None for random weights.")


def _download(spec: WeightSpec, target: Path, timeout: float = 30.0) -> None:
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as out, urllib.request.urlopen(spec.url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
        _check(Path(tmp), spec)


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file (handy to check a weight file by hand)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


__all__ = ["build_application", "load_weights_file", "read_torch_state_dict", "load_state_dict_checked",
           "fetch_weights", "weights_dir", "is_weights_path"]
