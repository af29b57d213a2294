"""Global settings: image layout, device and precision.

Keras users declare and pass images as (H, W, C) — ``'channels_last'``, the
default. glassnet converts them once, at the model's input, into PyTorch's
(N, C, H, W) with channels-last *memory* (a zero-copy permute), so conv kernels
run in their fast layout while every layer inside works in NCHW. PyTorch users
who already hold (N, C, H, W) data call ``set_image_data_format('channels_first')``.

>>> image_data_format()
'channels_last'
"""

from __future__ import annotations

import functools

import torch

from glassnet.errors import UnknownNameError

_FORMATS = ("channels_last", "channels_first")
_image_data_format = "channels_last"


def image_data_format() -> str:
    """The layout users pass images in: 'channels_last' (H, W, C) or 'channels_first'.

    >>> image_data_format() in ('channels_last', 'channels_first')
    True
    """
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    """Choose how images are passed to models: 'channels_last' (Keras) or 'channels_first' (PyTorch).

    Set it before building models; a layer keeps the format it was built with.

    >>> set_image_data_format('channels_last')
    """
    global _image_data_format
    if data_format not in _FORMATS:
        raise UnknownNameError(f"Unknown image data format '{data_format}'. Valid: {', '.join(_FORMATS)}.")
    _image_data_format = data_format


def resolve_data_format(data_format: str | None) -> str:
    """A layer's ``data_format`` argument, or the global one when None.

    >>> resolve_data_format(None)
    'channels_last'
    """
    if data_format is None:
        return _image_data_format
    if data_format not in _FORMATS:
        raise UnknownNameError(f"Unknown data_format '{data_format}'. Valid: {', '.join(_FORMATS)}.")
    return data_format


def default_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU.

    >>> default_device().type in ('cuda', 'mps', 'cpu')
    True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@functools.cache
def _cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def has_native_bf16(device: torch.device | str) -> bool:
    """Whether ``device`` computes bfloat16 natively (and so mixed precision pays).

    True on recent GPUs and on CPUs with AVX512-BF16 or AMX.

    >>> isinstance(has_native_bf16('cpu'), bool)
    True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return _cpu_has_native_bf16()
    return False


def resolve_precision(precision: str | None, device: torch.device) -> str:
    """'bfloat16' (mixed) where the device has native bf16, else 'float32'; explicit values win.

    >>> resolve_precision('float32', torch.device('cpu'))
    'float32'
    """
    valid = ("float32", "bfloat16", "mixed_bfloat16", "auto", None)
    if precision not in valid:
        raise UnknownNameError(f"Unknown precision '{precision}'. Valid: 'auto', 'float32', 'bfloat16'.")
    if precision in (None, "auto"):
        return "bfloat16" if has_native_bf16(device) else "float32"
    return "bfloat16" if precision == "mixed_bfloat16" else precision
