"""glassnet.export: a trained model in a form others can run.

``export(model, path, format=...)`` (also ``model.export``) writes

- ``'glassnet'`` (default): a bundle folder, ``model.glassnet`` + ``preprocessing.json`` (what
  ``glassnet serve`` reads);
- ``'onnx'``: an ONNX file (torch's exporter, dynamic batch axis, preprocessing as metadata), for
  onnxruntime and friends;
- ``'torch'``: a ``torch.export`` program (``.pt2``), for torch-only deployment.

>>> import tempfile, os
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> m = Sequential([Input((3,)), Dense(2, activation='softmax')])
>>> export(m, os.path.join(tempfile.mkdtemp(), 'bundle')).name
'bundle'
"""

from __future__ import annotations

from pathlib import Path

from glassnet.export.bundle import export_bundle, load_bundle
from glassnet.export.onnx import export_onnx, max_abs_difference, read_metadata
from glassnet.export.preprocessing import Preprocessing, for_model, from_run
from glassnet.export.program import export_program

FORMATS = {"glassnet": export_bundle, "onnx": export_onnx, "torch": export_program}


def export(model, path: str | Path, format: str = "glassnet", preprocessing: Preprocessing | None = None,
           class_names: list[str] | None = None) -> Path:
    """Export ``model`` to ``path`` as ``format`` ('glassnet', 'onnx' or 'torch'); returns the path written.

    ``preprocessing`` describes the expected input (see :class:`Preprocessing`); without it the model's
    shape is read and pixels are assumed scaled by 1/255, with ``class_names`` when given.
    """
    from glassnet.naming import lookup

    writer = lookup("export format", format, FORMATS)
    return writer(model, path, preprocessing or for_model(model, class_names=class_names))


__all__ = ["export", "export_bundle", "export_onnx", "export_program", "load_bundle", "read_metadata",
           "max_abs_difference", "Preprocessing", "for_model", "from_run", "FORMATS"]
