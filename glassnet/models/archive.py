"""Reading untrusted model files with bounded memory: zip members, JSON and safetensors headers.

A model file may come from anywhere (a course forum, an e-mail). Everything here
checks sizes *before* decompressing or allocating: each zip member's declared size
and their total against :data:`LIMITS`, JSON size and nesting depth, and a
safetensors header (dtype, shape, offsets) against the bytes that follow it.
Every problem raises :class:`~glassnet.errors.DataFileError` naming the file.

>>> parse_json(b'{"a": [1, 2]}', 'config.json')
{'a': [1, 2]}
>>> parse_json(b'[' * 500 + b']' * 500, 'config.json')
Traceback (most recent call last):
...
glassnet.errors.DataFileError: config.json is nested 500 levels deep (the limit is 100): it is not a glassnet file, or it was crafted. Re-save the model with model.save().
"""

from __future__ import annotations

import json
import math
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from glassnet.errors import DataFileError


@dataclass
class Limits:
    """Caps on what loading a model file may cost. Raise them (``archive.LIMITS.max_member_bytes =
    ...``) for a model larger than these; they exist so a small crafted file cannot take the machine."""

    max_member_bytes: int = 32 << 30     # one archive member, decompressed
    max_total_bytes: int = 64 << 30      # all members read, decompressed
    max_members: int = 64                # entries in the archive (glassnet writes at most 6)
    max_json_bytes: int = 64 << 20       # config.json / optimizer.json / resume.json
    max_json_depth: int = 100
    max_parameters: int = 8_000_000_000  # numbers in the model the config describes


LIMITS = Limits()

_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
           "BOOL": 1, "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1}


def open_model_file(path: Path) -> zipfile.ZipFile:
    """The archive at ``path``, after checking it is a regular file with a sane member list."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise DataFileError(f"No saved model at '{path}'.") from None
    except OSError as err:
        raise DataFileError(f"Cannot read '{path}' ({err}).") from err
    if stat.S_ISDIR(info.st_mode):
        raise DataFileError(f"'{path}' is a folder, not a saved model file. Give the path of the file "
                            "model.save() wrote (e.g. 'model.glassnet').")
    if not stat.S_ISREG(info.st_mode):
        raise DataFileError(f"'{path}' is not a regular file (a pipe or device?): not a saved model.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as err:
        raise DataFileError(f"'{path}' is not a complete glassnet model file ({err}). It may be truncated or "
                            "another format: save_weights files load with model.load_weights().") from err
    names = archive.namelist()
    if len(names) > LIMITS.max_members:
        archive.close()
        raise DataFileError(f"'{path}' holds {len(names):,} archive members; a glassnet model has at most "
                            f"{LIMITS.max_members}. It is not a glassnet model file.")
    if len(set(names)) != len(names):
        archive.close()
        raise DataFileError(f"'{path}' holds the same member name twice: it was tampered with. Re-save the model.")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, where: str, budget: list[int], required: bool = True
                ) -> bytes | None:
    """One member's bytes, refusing declared or actual sizes over the limits (``budget`` is the
    total still allowed, shared by the calls for one file)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        if not required:
            return None
        raise DataFileError(f"'{where}' has no '{name}': it is not a complete glassnet model file (or it was "
                            "edited). Re-save the model with model.save().") from None
    cap = min(LIMITS.max_member_bytes, budget[0])
    if name.endswith(".json"):
        cap = min(cap, LIMITS.max_json_bytes)
    if info.file_size > cap:
        raise DataFileError(f"'{where}': member '{name}' declares {info.file_size:,} bytes, over the limit of "
                            f"{cap:,}. If this is a genuine, very large model, raise "
                            "glassnet.models.archive.LIMITS.max_member_bytes / max_total_bytes.")
    try:
        with archive.open(info) as member:
            data = member.read(cap + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as err:
        raise DataFileError(f"'{where}': member '{name}' cannot be read ({err}); the file is truncated or "
                            "corrupt. Re-save the model.") from err
    if len(data) > cap:
        raise DataFileError(f"'{where}': member '{name}' decompresses past the limit of {cap:,} bytes.")
    budget[0] -= len(data)
    return data


def _depth(tree: Any) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack += [(v, level + 1) for v in node.values()]
        elif isinstance(node, list):
            stack += [(v, level + 1) for v in node]
    return deepest


def parse_json(data: bytes, where: str) -> Any:
    """JSON with size and nesting-depth limits (raises :class:`DataFileError`)."""
    if len(data) > LIMITS.max_json_bytes:
        raise DataFileError(f"{where} is {len(data):,} bytes, over the limit of {LIMITS.max_json_bytes:,}.")
    try:
        value = json.loads(data)
    except RecursionError:
        raise DataFileError(f"{where} is nested too deeply to read: it is not a glassnet file, or it was "
                            "crafted. Re-save the model with model.save().") from None
    except ValueError as err:
        raise DataFileError(f"{where} is not valid JSON ({err}). The file is corrupt or was edited by hand; "
                            "re-save the model with model.save().") from None
    depth = _depth(value)
    if depth > LIMITS.max_json_depth:
        raise DataFileError(f"{where} is nested {depth} levels deep (the limit is {LIMITS.max_json_depth}): it "
                            "is not a glassnet file, or it was crafted. Re-save the model with model.save().")
    return value


def safetensors_header(data: bytes, where: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``{name: (dtype, shape)}`` from a safetensors buffer, every entry checked against the buffer."""
    if len(data) < 8:
        raise DataFileError(f"{where} is truncated ({len(data)} bytes): not a safetensors file. Re-save the model.")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8 or size > LIMITS.max_json_bytes:
        raise DataFileError(f"{where} announces a {size:,}-byte header in a {len(data):,}-byte file: it is "
                            "truncated or corrupt. Re-save the model.")
    header = parse_json(data[8:8 + size], where)
    if not isinstance(header, dict):
        raise DataFileError(f"{where} has a malformed header (not a table of tensors). Re-save the model.")
    body = len(data) - 8 - size
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors[name] = _checked_entry(name, entry, body, where)
    return tensors


def _checked_entry(name: str, entry: Any, body: int, where: str) -> tuple[str, tuple[int, ...]]:
    bad = f"{where}: tensor '{name}' has a malformed entry"
    if not isinstance(entry, dict) or entry.get("dtype") not in _DTYPES:
        raise DataFileError(f"{bad} (dtype {entry.get('dtype') if isinstance(entry, dict) else entry!r}). "
                            "Re-save the model.")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise DataFileError(f"{bad} (shape {shape!r}). Re-save the model.")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= body):
        raise DataFileError(f"{bad} (offsets {offsets!r} outside the {body:,} data bytes). Re-save the model.")
    if math.prod(shape) * _DTYPES[entry["dtype"]] != offsets[1] - offsets[0]:
        raise DataFileError(f"{bad}: shape {tuple(shape)} of {entry['dtype']} does not match its "
                            f"{offsets[1] - offsets[0]:,} bytes. Re-save the model.")
    return entry["dtype"], tuple(shape)


def load_safetensors(data: bytes, where: str) -> dict[str, torch.Tensor]:
    """Tensors from a safetensors buffer, header checked first (empty buffer: no tensors)."""
    if not data:
        return {}
    safetensors_header(data, where)
    from safetensors.torch import load as st_load
    try:
        return st_load(data)
    except Exception as err:  # safetensors raises its own SafetensorError and others on corrupt input
        raise DataFileError(f"{where} is not a valid safetensors file ({err}). Re-save the model.") from err


__all__ = ["LIMITS", "Limits", "open_model_file", "read_member", "parse_json", "safetensors_header",
           "load_safetensors"]
