"""torch.export programs: the model as a graph of ATen operations, for torch-only deployment.

:func:`exported_program` traces a model once (batch axis dynamic) and returns an
``ExportedProgram`` whose weights are plain tensors; :func:`export_program` saves it as a ``.pt2`` file
with the preprocessing record inside, which ``torch.export.load`` reads back without glassnet.

>>> import numpy as np, tempfile, os, torch
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> m = Sequential([Input((3,)), Dense(2, activation='softmax')])
>>> path = export_program(m, os.path.join(tempfile.mkdtemp(), 'm.pt2'))
>>> program = torch.export.load(str(path))
>>> program.module()(torch.ones(5, 3)).shape
torch.Size([5, 2])
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from glassnet.errors import InvalidArgumentError
from glassnet.export.preprocessing import Preprocessing, for_model
from glassnet.io import atomic_write_bytes
from glassnet.modes import evaluating

MAX_BATCH = 65536


class _Inference(torch.nn.Module):
    """One tensor in, one tensor out: the model's forward pass in inference mode, a fixed signature to trace."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def example_input(model, preprocessing: Preprocessing, batch: int = 2) -> torch.Tensor:
    """A zero batch of the model's input shape (integer for token models); batch 2 keeps the axis dynamic."""
    dtype = torch.long if model._integer_inputs() else torch.float32
    return torch.zeros((batch, *preprocessing.input_shape), dtype=dtype)


def exported_program(model, preprocessing: Preprocessing | None = None) -> torch.export.ExportedProgram:
    """``torch.export`` of the model in inference mode with a dynamic batch axis; weights as plain tensors
    (glassnet's Variable subclass stays behind, so ONNX and other consumers see ordinary tensors)."""
    preprocessing = preprocessing or for_model(model)
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    with evaluating(model):
        try:
            program = torch.export.export(_Inference(model).eval(), (example_input(model, preprocessing),),
                                          dynamic_shapes=({0: batch},), strict=False)
        except Exception as err:  # torch.export's own errors are long; keep their first line
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise InvalidArgumentError(f"Model '{model.name}' could not be traced by torch.export ({first}). "
                                       "Data-dependent Python control flow in call() is the usual cause; "
                                       "use format='glassnet' to deploy it as is.") from err
    _plain_tensors(program)
    return program


def _plain_tensors(program: torch.export.ExportedProgram) -> None:
    for key, value in list(program.state_dict.items()):
        plain = value.detach().clone().as_subclass(torch.Tensor)
        program.state_dict[key] = (torch.nn.Parameter(plain, requires_grad=False)
                                   if isinstance(value, torch.nn.Parameter) else plain)
    for key, value in list(program.constants.items()):
        if isinstance(value, torch.Tensor):
            program.constants[key] = value.detach().clone().as_subclass(torch.Tensor)


def export_program(model, path: str | Path, preprocessing: Preprocessing | None = None) -> Path:
    """Save ``torch.export`` program as ``path`` (``.pt2``), ``preprocessing.json`` stored inside it
    (``torch.export.load(path, extra_files={'preprocessing.json': ''})`` reads it back)."""
    preprocessing = preprocessing or for_model(model)
    program = exported_program(model, preprocessing)
    path = Path(path)
    buffer = io.BytesIO()
    torch.export.save(program, buffer, extra_files={"preprocessing.json": preprocessing.to_json()})
    atomic_write_bytes(path, buffer.getvalue())
    return path
