"""The glassnet bundle: a folder with ``model.glassnet`` (JSON architecture + safetensors weights, the
format of ``model.save``) and ``preprocessing.json``. It is what ``glassnet serve`` reads; a
``glassnet train`` run folder is one already (its preprocessing is read from ``metrics.json``).

>>> import tempfile, os
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> folder = export_bundle(Sequential([Input((3,)), Dense(2, activation='softmax')]),
...                        os.path.join(tempfile.mkdtemp(), 'bundle'))
>>> sorted(p.name for p in folder.iterdir())
['model.glassnet', 'preprocessing.json']
>>> model, pre = load_bundle(folder); pre.input_shape
(3,)
"""

from __future__ import annotations

from pathlib import Path

from glassnet.errors import DataFileError
from glassnet.export.preprocessing import Preprocessing, for_model, from_run
from glassnet.io import atomic_write_bytes

MODEL_FILE, PREPROCESSING_FILE = "model.glassnet", "preprocessing.json"


def export_bundle(model, path: str | Path, preprocessing: Preprocessing | None = None) -> Path:
    """Write ``path/model.glassnet`` and ``path/preprocessing.json``; return the folder."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise DataFileError(f"Cannot write a bundle into '{folder}': it is a file. Give a folder path.")
    preprocessing = preprocessing or for_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL_FILE)
    atomic_write_bytes(folder / PREPROCESSING_FILE, preprocessing.to_json().encode())
    return folder


def load_bundle(path: str | Path):
    """``(model, preprocessing)`` from a bundle or run folder, or a ``.glassnet`` file (shape read from the
    model, pixels / 255). Loading never unpickles (see :func:`glassnet.models.load_model`)."""
    from glassnet.models import load_model

    path = Path(path)
    model_file = path / MODEL_FILE if path.is_dir() else path
    if not model_file.is_file():
        raise DataFileError(f"No model at '{model_file}'. Give a run folder of glassnet train (it holds "
                            f"{MODEL_FILE}), a bundle from model.export(path), or a .glassnet file.")
    model = load_model(model_file, compile=False)
    model.eval()
    return model, from_run(path, model) if path.is_dir() else for_model(model)
