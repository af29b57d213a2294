"""What a model expects of its input, recorded beside every export and used by the server.

A :class:`Preprocessing` says how raw pixels become the model's input: the sample shape and layout, the
colour mode, ``x * scale + offset`` then ``(x - mean) / std``, and the class names of the outputs. It travels
as ``preprocessing.json`` beside a bundle, as ONNX ``metadata_props`` and inside a ``.pt2`` program, so the
numbers a deployed model sees are the numbers it was trained on.

>>> import numpy as np
>>> pre = Preprocessing(input_shape=(2, 2, 1), class_names=["no", "yes"])
>>> pre.apply(np.full((2, 2, 1), 255, np.uint8)).max()
np.float32(1.0)
>>> Preprocessing.from_json(pre.to_json()) == pre
True
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.errors import DataFileError, InvalidArgumentError

OUTPUTS = ("softmax", "sigmoid", "logits")


@dataclass
class Preprocessing:
    """How raw inputs become model inputs, and what the outputs mean.

    ``input_shape`` is one sample in the user's layout (``(28, 28, 1)``); ``layout`` is ``'NHWC'``,
    ``'NCHW'`` or ``'features'``; ``color_mode`` is ``'grayscale'``, ``'rgb'`` or None (not an image);
    pixels in 0-255 become ``((x * scale + offset) - mean) / std``; ``output`` says whether the model ends in
    a softmax, a sigmoid or raw logits; ``in_model`` lists preprocessing layers inside the model itself
    (Rescaling, Normalization, ...), which then must not be repeated outside.

    >>> Preprocessing(input_shape=(8, 8, 1)).color_mode
    'grayscale'
    """

    input_shape: tuple[int, ...]
    layout: str = "NHWC"
    color_mode: str | None = None
    scale: float = 1 / 255
    offset: float = 0.0
    mean: list[float] | None = None
    std: list[float] | None = None
    class_names: list[str] | None = None
    output: str = "softmax"
    in_model: list[str] = field(default_factory=list)
    source: str = ""

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(d) for d in self.input_shape)
        if self.layout not in ("NHWC", "NCHW", "features"):
            raise InvalidArgumentError(f"Preprocessing layout {self.layout!r} is unknown; use 'NHWC', 'NCHW' or "
                                       "'features'.")
        if self.output not in OUTPUTS:
            raise InvalidArgumentError(f"Preprocessing output {self.output!r} is unknown; use one of {OUTPUTS}.")
        if self.color_mode is None and self.is_image:
            self.color_mode = "grayscale" if self.channels == 1 else "rgb"

    @property
    def is_image(self) -> bool:
        """True for (H, W, C) / (C, H, W) samples with 1 or 3 channels."""
        return len(self.input_shape) == 3 and self.layout != "features" and self.channels in (1, 3)

    @property
    def channels(self) -> int:
        return self.input_shape[-1] if self.layout == "NHWC" else self.input_shape[0]

    @property
    def image_size(self) -> tuple[int, int]:
        """(height, width) of an image sample."""
        return tuple(self.input_shape[:2]) if self.layout == "NHWC" else tuple(self.input_shape[1:])

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """One image as (H, W, C) uint8 pixels → the model's float32 input sample (in its layout).

        >>> Preprocessing(input_shape=(1, 1, 3), scale=1 / 127.5, offset=-1).apply(np.zeros((1, 1, 3))).tolist()
        [[[-1.0, -1.0, -1.0]]]
        """
        x = pixels.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
        if self.mean is not None:
            x = x - np.asarray(self.mean, np.float32)
        if self.std is not None:
            x = x / np.asarray(self.std, np.float32)
        return np.ascontiguousarray(x if self.layout == "NHWC" else x.transpose(2, 0, 1))

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "input_shape": list(self.input_shape)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, data: Any, where: str = "preprocessing") -> "Preprocessing":
        """Rebuild from :meth:`to_dict` output, checking every field (a file may be hand-edited)."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict) or "input_shape" not in data or set(data) - names:
            raise DataFileError(f"{where} is not a preprocessing record: it needs 'input_shape' and may hold only "
                                f"{sorted(names)}. Re-export the model with model.export().")
        try:
            return cls(**data)
        except (TypeError, ValueError) as err:
            raise DataFileError(f"{where} has an invalid field ({err}). Re-export the model.") from err

    @classmethod
    def from_json(cls, text: str, where: str = "preprocessing") -> "Preprocessing":
        try:
            return cls.from_dict(json.loads(text), where)
        except json.JSONDecodeError as err:
            raise DataFileError(f"{where} is not valid JSON ({err}). Re-export the model.") from err

    def metadata(self) -> dict[str, str]:
        """Flat string key/values (ONNX ``metadata_props``): every field as JSON text.

        >>> Preprocessing(input_shape=(4,), layout='features').metadata()['input_shape']
        '[4]'
        """
        return {key: json.dumps(value) for key, value in self.to_dict().items()}


def model_input_shape(model) -> tuple[int, ...]:
    """One sample's shape in the user's layout, from the model's Input or its recorded build."""
    try:
        shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        recorded = getattr(model, "_built_input_shapes", None)
        shape = tuple(recorded[0][1:]) if recorded else ()
    if not shape or any(d is None for d in shape):
        raise InvalidArgumentError(f"Model '{model.name}' has no fixed input shape to export. Build it with "
                                   "Input(shape=...) or model.build((None, ...)) first.")
    return tuple(int(d) for d in shape)


def in_model_preprocessing(model) -> list[str]:
    """The preprocessing layers inside a model (Rescaling, Normalization, Resizing, CenterCrop), described."""
    from glassnet.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing

    found = []
    for module in model.modules():
        if isinstance(module, Rescaling):
            found.append(f"Rescaling(scale={module.scale:g}, offset={module.offset:g})")
        elif isinstance(module, Normalization):
            found.append(f"Normalization(mean={_short(module.mean)}, variance={_short(module.variance)})")
        elif isinstance(module, (Resizing, CenterCrop)):
            found.append(f"{type(module).__name__}({module.get_config().get('height')}x"
                         f"{module.get_config().get('width')})")
    return found


def _short(t) -> str:
    return "None" if t is None else str([round(float(v), 4) for v in t.flatten()[:4]])


def output_kind(model) -> str:
    """'softmax', 'sigmoid' or 'logits': how the model's last layer ends."""
    layers = list(getattr(model, "layers", []))
    last = layers[-1] if layers else model
    name = getattr(getattr(last, "activation", None), "__name__", "")
    return name if name in ("softmax", "sigmoid") else "logits"


def for_model(model, class_names: list[str] | None = None, **fields: Any) -> Preprocessing:
    """The preprocessing record of a model: shape, layout and output read from it, the rest given.

    Pixels are scaled to 0-1 (``scale=1/255``) unless ``scale``/``offset``/``mean``/``std`` say otherwise; a
    model that rescales inside (a Rescaling layer) gets ``scale=1`` unless told.

    >>> from glassnet.models import Sequential
    >>> from glassnet.layers import Input, Flatten, Dense
    >>> m = Sequential([Input((8, 8, 1)), Flatten(), Dense(10, activation='softmax')])
    >>> p = for_model(m); (p.input_shape, p.layout, p.color_mode, p.output, len(p.class_names))
    ((8, 8, 1), 'NHWC', 'grayscale', 'softmax', 10)
    """
    from glassnet import config

    shape = model_input_shape(model)
    inside = in_model_preprocessing(model)
    fields.setdefault("layout", "features" if len(shape) != 3 else
                      ("NHWC" if config.image_data_format() == "channels_last" else "NCHW"))
    if any(item.startswith("Rescaling") for item in inside):
        fields.setdefault("scale", 1.0)
    output = output_kind(model)
    if class_names is None:
        units = _output_units(model, shape)
        class_names = [str(i) for i in range(2 if output == "sigmoid" and units == 1 else units)]
    return Preprocessing(input_shape=shape, class_names=list(class_names), output=output, in_model=inside, **fields)


def _output_units(model, shape) -> int:
    import torch

    from glassnet.modes import evaluating

    example = torch.zeros((1, *shape), dtype=torch.long if model._integer_inputs() else torch.float32)
    with evaluating(model), torch.inference_mode():
        return int(model(example).reshape(1, -1).shape[1])


def dataset_preprocessing(model, dataset: str) -> Preprocessing:
    """The preprocessing ``glassnet train --dataset NAME`` used: pixels / 255, the dataset's class names."""
    from glassnet import datasets

    module = getattr(datasets, dataset, None)
    names = getattr(module, "class_names", None)
    return for_model(model, class_names=list(names) if names is not None else None,
                     source=f"glassnet train --dataset {dataset}: pixels / 255")


def from_run(run_dir: Path, model) -> Preprocessing:
    """A run folder's preprocessing: its ``preprocessing.json`` if exported, else what ``metrics.json`` says
    the run trained on (``glassnet train``), else the model's own shape with pixels / 255."""
    run_dir = Path(run_dir)
    saved = run_dir / "preprocessing.json"
    if saved.is_file():
        return Preprocessing.from_json(saved.read_text(), str(saved))
    metrics = run_dir / "metrics.json"
    if metrics.is_file():
        try:
            dataset = json.loads(metrics.read_text()).get("dataset")
        except (json.JSONDecodeError, AttributeError):
            dataset = None
        if isinstance(dataset, str) and dataset.isidentifier():
            return dataset_preprocessing(model, dataset)
    return for_model(model, source="assumed: pixels / 255 (no preprocessing.json or metrics.json in the run)")
