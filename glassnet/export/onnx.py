"""ONNX export with torch's exporter, verified with onnxruntime.

The graph takes a batch of inputs in the user's layout (``input``: batch axis named ``batch``, dynamic)
and returns ``output`` (probabilities when the model ends in softmax). Every field of the
:class:`~glassnet.export.preprocessing.Preprocessing` record (layout, scaling, mean/std, class names,
preprocessing layers inside the model) is stored as ONNX ``metadata_props``.

>>> import numpy as np, tempfile, os
>>> from glassnet.models import Sequential
>>> from glassnet.layers import Input, Dense
>>> m = Sequential([Input((3,)), Dense(2, activation='softmax')])
>>> path = export_onnx(m, os.path.join(tempfile.mkdtemp(), 'm.onnx'))  # doctest: +SKIP
>>> read_metadata(path).class_names  # doctest: +SKIP
['0', '1']
>>> max_abs_difference(m, path, np.ones((5, 3), 'float32')) < 1e-6  # doctest: +SKIP
True

(Skipped in the doctests only because the exporter's first import takes ~20 s; tests/test_export.py runs
the same steps.)
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np

from glassnet.errors import DataFileError, MissingToolError
from glassnet.export.preprocessing import Preprocessing, for_model
from glassnet.export.program import exported_program, example_input
from glassnet.io import atomic_write_bytes

INPUT, OUTPUT = "input", "output"


def _onnx():
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)
    except ImportError as err:
        raise MissingToolError("ONNX export needs the onnx and onnxscript packages: "
                               "pip install onnx onnxscript onnxruntime") from err
    return onnx


def export_onnx(model, path: str | Path, preprocessing: Preprocessing | None = None, opset: int | None = None) -> Path:
    """Write the model as an ONNX file at ``path`` with a dynamic batch axis and the preprocessing metadata."""
    import torch

    onnx = _onnx()
    preprocessing = preprocessing or for_model(model)
    program = exported_program(model, preprocessing)
    # the exporter's deprecation notes and "torchvision is not installed" lines are not the user's business
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(program, (example_input(model, preprocessing),), input_names=[INPUT],
                                         output_names=[OUTPUT], opset_version=opset, dynamo=True, verbose=False)
    proto = onnx_program.model_proto
    _name_batch_axis(proto)
    for key, value in {"producer": "glassnet", **preprocessing.metadata()}.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    path = Path(path)
    atomic_write_bytes(path, proto.SerializeToString())
    return path


def _name_batch_axis(proto) -> None:
    """Call the exporter's symbolic first dimension 'batch' on the graph's inputs and outputs."""
    for value in (*proto.graph.input, *proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].dim_param = "batch"


def read_metadata(path: str | Path) -> Preprocessing:
    """The preprocessing record stored in an ONNX file by :func:`export_onnx`."""
    onnx = _onnx()
    proto = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in proto.metadata_props}
    props.pop("producer", None)
    import json
    try:
        fields = {key: json.loads(value) for key, value in props.items()}
    except json.JSONDecodeError as err:
        raise DataFileError(f"'{path}': its ONNX metadata is not glassnet's ({err}). Export it with "
                            "model.export(path, format='onnx').") from err
    return Preprocessing.from_dict(fields, f"'{path}' (ONNX metadata)")


def onnx_session(path: str | Path, threads: int | None = None):
    """An onnxruntime CPU session for the file (``threads`` intra-op threads, default onnxruntime's)."""
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise MissingToolError("Running ONNX models needs onnxruntime: pip install onnxruntime") from err
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def max_abs_difference(model, path: str | Path, x: np.ndarray, batch_size: int = 64) -> float:
    """Largest |onnxruntime output - model.predict output| over the inputs ``x`` (user layout)."""
    session = onnx_session(path)
    expected = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    got = np.concatenate([session.run(None, {INPUT: x[i:i + batch_size]})[0] for i in range(0, len(x), batch_size)])
    return float(np.abs(got - expected).max())
