"""One registry of application models with verified metadata (after torchvision and timm).

Each builder (``VGG16``, ``ResNet50``...) is registered with :func:`register_model`;
:func:`list_models` returns their :class:`ModelInfo` — parameters at the default
configuration (a test checks the live count), forward GFLOPs at the default input
size (a test recomputes them), preprocessing mode, weight sets and the published
ImageNet accuracy.

>>> info = get_model_info('VGG16')
>>> info.params, info.top1, info.top5
(138357544, 0.715, 0.901)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from glassnet.naming import lookup

KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
TORCHVISION_BASE = "https://download.pytorch.org/models/"


@dataclass(frozen=True)
class WeightSpec:
    """One downloadable set of pretrained weights.

    ``format`` is 'keras_h5' or 'torch'; ``include_top`` says whether the file
    holds the classifier; ``builder_args`` are the architecture switches the
    file needs, set for the user (e.g. torchvision's ResNets have no conv biases:
    ``conv_bias=False``); ``requires`` are the user's choices the file was trained
    for, which select among a model's files (MobileNet publishes one per ``alpha``).
    ``md5``/``sha256`` are the official checksums; ``sha256_prefix`` is the prefix
    torchvision puts in its file names.

    >>> WeightSpec('imagenet', 'a.h5', 'https://x/a.h5', 'keras_h5').filename
    'a.h5'
    """

    name: str
    filename: str
    url: str
    format: str
    include_top: bool = True
    builder_args: dict = field(default_factory=dict)
    preprocess: str = "torch"
    md5: str | None = None
    sha256: str | None = None
    sha256_prefix: str | None = None
    top1: float | None = None
    top5: float | None = None
    requires: dict = field(default_factory=dict)

    def fits(self, arch: dict) -> bool:
        """True when the user's architecture choices ``arch`` are those this file was trained for.

        >>> WeightSpec('imagenet', 'a.h5', 'https://x/a.h5', 'keras_h5', requires={'alpha': 1.0}).fits({'alpha': 0.5})
        False
        """
        return all(arch.get(key, value) == value for key, value in self.requires.items())


def keras_weights(folder: str, top: tuple[str, str | None] | None, notop: tuple[str, str | None] | None,
                  preprocess: str, **builder_args) -> tuple[WeightSpec, ...]:
    """The Keras 'imagenet' weight files (with and without the top) of one model.

    >>> keras_weights('vgg16', ('vgg16_weights_tf_dim_ordering_tf_kernels.h5', None), None, 'caffe')[0].format
    'keras_h5'
    """
    specs = []
    for pair, include_top in ((top, True), (notop, False)):
        if pair is not None:
            filename, md5 = pair
            specs.append(WeightSpec("imagenet", filename, KERAS_BASE + folder + "/" + filename, "keras_h5",
                                    include_top, dict(builder_args), preprocess, md5=md5))
    return tuple(specs)


def torchvision_weights(filename: str, top1: float | None = None, top5: float | None = None,
                        name: str = "torchvision", **builder_args) -> WeightSpec:
    """A torchvision ImageNet state dict (file name carries a sha256 prefix).

    >>> torchvision_weights('resnet18-f37072fd.pth').sha256_prefix
    'f37072fd'
    """
    prefix = filename.rsplit("-", 1)[-1].split(".")[0]
    return WeightSpec(name, filename, TORCHVISION_BASE + filename, "torch", True, dict(builder_args), "torch",
                      sha256_prefix=prefix, top1=top1, top5=top5)


@dataclass(frozen=True)
class ModelInfo:
    """Metadata of one registered model; ``builder(**kwargs)`` builds it.

    ``params`` and ``gflops`` are at the default configuration (include_top=True,
    1000 classes, ``default_size``); ``test_size`` is a small input the tests use.
    """

    name: str
    builder: Callable
    family: str
    default_size: int
    min_size: int
    preprocess: str
    params: int
    gflops: float
    top1: float | None = None
    top5: float | None = None
    accuracy_source: str = ""
    weights: tuple[WeightSpec, ...] = ()
    input_channels: int = 3
    test_size: int = 64
    paper: str = ""

    @property
    def weight_names(self) -> list[str]:
        """Names accepted by ``weights=`` besides a file path."""
        return sorted({w.name for w in self.weights})

    def find_weights(self, name: str, include_top: bool, arch: dict | None = None) -> WeightSpec:
        """The weight set called ``name`` for the architecture choices ``arch`` (see ``WeightSpec.requires``)
        matching ``include_top`` (torch files hold both: the top is dropped).

        >>> get_model_info('MobileNet').find_weights('imagenet', False, {'alpha': 0.25}).filename
        'mobilenet_2_5_224_tf_no_top.h5'
        """
        candidates = [w for w in self.weights if w.name == name]
        if not candidates:
            valid = ", ".join(self.weight_names) or "none"
            raise ValueError(f"{self.name} has no weight set named '{name}'. Known: {valid}; or pass weights=None "
                             "for random weights, or a file path (.h5 Keras, .pth torchvision, .safetensors glassnet).")
        fitting = [w for w in candidates if w.fits(arch or {})]
        if not fitting:
            choices = sorted({", ".join(f"{k}={v}" for k, v in w.requires.items()) for w in candidates})
            given = ", ".join(f"{k}={(arch or {}).get(k)}" for k in candidates[0].requires)
            raise ValueError(f"{self.name} has no '{name}' weights for {given}: they exist for "
                             f"{'; '.join(choices)}. Use one of those, or weights=None for random weights.")
        candidates = fitting
        for spec in candidates:
            if spec.include_top == include_top or spec.format == "torch":
                return spec
        return candidates[0]

    def row(self) -> dict:
        """The table row shown by ``list_models()`` / ``glassnet zoo``."""
        return {"name": self.name, "params": self.params, "gflops": self.gflops,
                "input": f"{self.default_size}x{self.default_size}x{self.input_channels}",
                "preprocess": self.preprocess, "weights": ", ".join(self.weight_names) or "-",
                "top1": self.top1, "top5": self.top5}


_REGISTRY: dict[str, ModelInfo] = {}


def register_model(*, family: str, default_size: int, preprocess: str, params: int, gflops: float,
                   min_size: int = 32, top1: float | None = None, top5: float | None = None,
                   accuracy_source: str = "", weights: tuple[WeightSpec, ...] = (), input_channels: int = 3,
                   test_size: int = 64, paper: str = "") -> Callable:
    """Decorator registering a builder function under its own name.

    >>> @register_model(family='demo', default_size=8, preprocess='tf', params=0, gflops=0.0)
    ... def DemoNet(**kwargs):
    ...     return None
    >>> get_model_info('DemoNet').family
    'demo'
    >>> unregister_model('DemoNet')
    """

    def decorate(builder: Callable) -> Callable:
        info = ModelInfo(builder.__name__, builder, family, default_size, min_size, preprocess, params, gflops,
                         top1, top5, accuracy_source, tuple(weights), input_channels, test_size, paper)
        _REGISTRY[builder.__name__] = info
        builder.info = info
        return builder

    return decorate


def unregister_model(name: str) -> None:
    """Remove a registered model (for tests and experiments)."""
    _REGISTRY.pop(name, None)


def get_model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a registered model (case-insensitive name).

    >>> get_model_info('resnet50').default_size
    224
    """
    _ensure_loaded()
    return lookup("application model", name, _REGISTRY)


def model_names() -> list[str]:
    """Registered model names, in registration order.

    >>> 'MobileNet' in model_names()
    True
    """
    _ensure_loaded()
    return list(_REGISTRY)


class ModelTable(list):
    """A list of :class:`ModelInfo` that shows itself as a table in a REPL or notebook."""

    def __repr__(self) -> str:
        from glassnet.applications.zoo_cli import render_text
        return render_text(self)

    def __rich__(self):
        from glassnet.applications.zoo_cli import make_table
        return make_table(self)


def list_models(family: str | None = None) -> ModelTable:
    """All registered models (optionally one ``family``); prints as a table.

    >>> table = list_models()
    >>> [m.name for m in table][:3]
    ['LeNet5', 'AlexNet', 'GoogLeNet']
    """
    _ensure_loaded()
    infos = [info for info in _REGISTRY.values() if family is None or info.family == family]
    return ModelTable(infos)


def create_model(name: str, **kwargs: Any):
    """Build a registered model by name: ``create_model('ResNet18', classes=10)``.

    >>> create_model('LeNet5').count_params()
    61706
    """
    return get_model_info(name).builder(**kwargs)


def _ensure_loaded() -> None:
    import glassnet.applications  # noqa: F401  (importing the package registers every builder)


def replace(info: ModelInfo, **changes: Any) -> ModelInfo:
    """A copy of ``info`` with some fields changed."""
    return dataclasses.replace(info, **changes)


__all__ = ["WeightSpec", "ModelInfo", "register_model", "get_model_info", "model_names", "list_models",
           "create_model", "keras_weights", "torchvision_weights", "ModelTable"]
