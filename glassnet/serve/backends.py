"""Inference backends: the same ``predict(batch) -> probabilities`` on torch or onnxruntime.

A backend takes a float32 (or int64) batch in the model's input layout and returns class probabilities
(softmax applied to logits; a sigmoid unit becomes two columns, ``[1 - p, p]``).

>>> import numpy as np
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> backend = TorchBackend(Sequential([Input((3,)), Dense(2, activation='softmax')]))
>>> backend.predict(np.ones((4, 3), 'float32')).shape
(4, 2)
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from glassnet.export.preprocessing import Preprocessing, for_model


def to_probabilities(outputs: np.ndarray, kind: str) -> np.ndarray:
    """Class probabilities from model outputs ('softmax', 'sigmoid' or 'logits').

    >>> to_probabilities(np.array([[0.0, 0.0]]), 'logits').tolist()
    [[0.5, 0.5]]
    """
    outputs = np.asarray(outputs, dtype=np.float32).reshape(len(outputs), -1)
    if kind == "logits":
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    if kind == "sigmoid" and outputs.shape[1] == 1:
        return np.concatenate([1 - outputs, outputs], axis=1)
    return outputs


class TorchBackend:
    """The glassnet model itself, run in eval mode under ``torch.inference_mode`` (one batch at a time)."""

    name = "torch"

    def __init__(self, model, preprocessing: Preprocessing | None = None):
        self.model = model.eval()
        self.preprocessing = preprocessing or for_model(model)
        self._lock = threading.Lock()

    def predict(self, batch: np.ndarray) -> np.ndarray:
        with self._lock, torch.inference_mode():
            outputs = self.model(torch.from_numpy(np.ascontiguousarray(batch)))
        return to_probabilities(outputs.float().numpy(), self.preprocessing.output)


class OnnxBackend:
    """An ONNX file (from :func:`glassnet.export.export_onnx`) run by onnxruntime on the CPU."""

    name = "onnx"

    def __init__(self, path: str | Path, preprocessing: Preprocessing | None = None, threads: int | None = None):
        from glassnet.export.onnx import INPUT, onnx_session, read_metadata

        self.session = onnx_session(path, threads)
        self.preprocessing = preprocessing or read_metadata(path)
        self._input = INPUT

    def predict(self, batch: np.ndarray) -> np.ndarray:
        outputs = self.session.run(None, {self._input: np.ascontiguousarray(batch)})[0]
        return to_probabilities(outputs, self.preprocessing.output)


def make_backend(model, preprocessing: Preprocessing, kind: str = "torch", onnx_path: str | Path | None = None):
    """A backend of ``kind`` ('torch' or 'onnx'); for 'onnx' the model is exported to ``onnx_path`` first
    unless that file exists already."""
    from glassnet.naming import lookup

    kind = lookup("serving backend", kind, {"torch": "torch", "onnx": "onnx", "onnxruntime": "onnx"})
    if kind == "torch":
        return TorchBackend(model, preprocessing)
    import torch
    if onnx_path is None or not Path(onnx_path).is_file():
        import tempfile

        from glassnet.export.onnx import export_onnx
        onnx_path = export_onnx(model, onnx_path or Path(tempfile.mkdtemp()) / "model.onnx", preprocessing)
    return OnnxBackend(onnx_path, preprocessing, threads=torch.get_num_threads())  # as many threads as torch
