"""What an explainer looks at: the model's class scores, the target class, and the layer to explain.

Every explainer runs the model the same way: images in the user's layout, on the model's device,
in eval mode, scores taken *before* a final softmax/sigmoid (the logits a softmax output carries,
see ``glassnet.logits``). The layer Grad-CAM explains is found from the model itself:

* a ``glassnet.applications`` model (the timm contract): the output of ``forward_features``;
* any other model (Sequential, functional, subclassed, a zoo model used as a layer): the last
  module whose output is an image-shaped (4-D) tensor, stepping back over pooling, dropout,
  padding and cropping, which only move or drop what the layer before computed.

>>> from glassnet.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
>>> from glassnet.models import Sequential
>>> net = Sequential([Input(shape=(8, 8, 1)), Conv2D(4, 3, name='conv'), MaxPooling2D(2), Flatten(), Dense(2)])
>>> find_layer(net, np.zeros((1, 8, 8, 1), np.float32)).name
'conv'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from glassnet import layout
from glassnet import logits as logits_module
from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.modes import evaluating

#: layers that only move, pad or drop values: Grad-CAM explains the layer before them
PASS_THROUGH = ("Pooling", "Dropout", "ZeroPadding", "Cropping", "UpSampling", "Identity")


@dataclass
class Target:
    """The module an explainer hooks: ``name`` (its path or layer name), the ``module``, and the
    ``forward`` function (user-layout images -> class scores) under which that module runs."""

    name: str
    module: torch.nn.Module
    forward: Callable[[torch.Tensor], torch.Tensor]


class FeatureTap(torch.nn.Identity):
    """An identity module placed on the output of a zoo model's ``forward_features`` so that
    captum can hook the feature map (it hooks modules, not function results)."""


def device_of(model: torch.nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters).

    >>> device_of(torch.nn.Linear(2, 2)).type
    'cpu'
    """
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def as_batch(model: torch.nn.Module, images: Any) -> torch.Tensor:
    """Images (numpy or tensor, a batch or one image) as a float32 batch on the model's device.

    >>> as_batch(torch.nn.Linear(2, 2), np.zeros((4, 4, 3), np.uint8)).shape
    torch.Size([1, 4, 4, 3])
    """
    x = images.detach() if torch.is_tensor(images) else torch.as_tensor(np.asarray(images))
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4:
        raise ShapeError(f"explain: expected images of shape (N, H, W, C) (or one image (H, W, C)), got "
                         f"{tuple(x.shape)}. Add the channel axis to grayscale images, e.g. x[..., None].")
    return x.to(device=device_of(model), dtype=torch.float32)


def scores(output: torch.Tensor) -> torch.Tensor:
    """The class scores behind a model output: the logits a softmax/sigmoid output carries, else
    the output itself.

    >>> z = torch.tensor([[2.0, -1.0]])
    >>> scores(logits_module.attach(torch.softmax(z, -1), z, 'softmax')).tolist()
    [[2.0, -1.0]]
    """
    for activation in ("softmax", "sigmoid"):
        carried = logits_module.of(output, activation)
        if carried is not None:
            return carried
    return output


def model_scores(model: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``forward(x)``: the model's class scores (logits) for user-layout images ``x``."""
    def forward(x: torch.Tensor) -> torch.Tensor:
        out = scores(model(x))
        if out.dim() != 2:
            raise ShapeError(f"explain: the model returns shape {tuple(out.shape)}; the explainers need class "
                             "scores of shape (N, classes). Explain a classifier, or wrap yours so it returns scores.")
        return out
    return forward


def resolve_targets(model: torch.nn.Module, x: torch.Tensor, target: Any) -> torch.Tensor:
    """``target`` as one class index per image: None -> the predicted class; an int -> that class for
    all; a sequence -> one per image.

    >>> net = torch.nn.Linear(3, 2)
    >>> resolve_targets(net, torch.zeros(4, 3), 1).tolist()
    [1, 1, 1, 1]
    """
    if target is None:
        with torch.no_grad(), evaluating(model):
            out = model_scores(model)(x)
        return out.argmax(1) if out.shape[1] > 1 else torch.zeros(len(x), dtype=torch.long, device=x.device)
    t = torch.as_tensor(np.asarray(target.cpu() if torch.is_tensor(target) else target), dtype=torch.long)
    if t.dim() == 0:
        t = t.expand(len(x))
    if t.shape != (len(x),):
        raise InvalidArgumentError(f"explain: target has shape {tuple(t.shape)} for {len(x)} images; pass None (the "
                                   "predicted class), one class index, or one index per image.")
    return t.to(x.device)


def _module_name(model: torch.nn.Module, module: torch.nn.Module) -> str:
    if getattr(module, "name", None):
        return module.name
    return next((n for n, m in model.named_modules() if m is module), type(module).__name__)


def _image_outputs(model: torch.nn.Module, x: torch.Tensor) -> list[tuple[str, torch.nn.Module]]:
    """Modules whose output is 4-D, in the order their calls end (a container after its children)."""
    seen: list[tuple[str, torch.nn.Module]] = []
    hooks = []
    for name, module in model.named_modules():
        if module is model:
            continue
        def hook(mod, args, output, name=name):
            if torch.is_tensor(output) and output.dim() == 4:
                seen.append((name, mod))
        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad(), evaluating(model):
            model(x[:1])
    finally:
        for h in hooks:
            h.remove()
    return seen


def find_layer(model: torch.nn.Module, images: Any, layer: Any = None) -> Target:
    """The layer Grad-CAM explains: ``layer`` (a name, a module path or a module) or, by default, the
    last convolutional block (see the module docstring).

    >>> from glassnet.applications import ResNet18
    >>> find_layer(ResNet18(classes=3), np.zeros((1, 32, 32, 3), np.float32)).name
    'forward_features'
    """
    x = as_batch(model, images)
    if layer is None and hasattr(model, "forward_features") and hasattr(model, "forward_head"):
        return _feature_target(model)
    forward = model_scores(model)
    if layer is not None:
        module = _lookup(model, layer)
        return Target(_module_name(model, module), module, forward)
    candidates = _image_outputs(model, x)
    if not candidates:
        raise ShapeError(f"explain: no layer of model '{getattr(model, 'name', type(model).__name__)}' outputs an "
                         "image-shaped (N, C, H, W) tensor, so there is no feature map to explain. Grad-CAM needs a "
                         "convolutional model; use saliency() or integrated_gradients() for others.")
    index = len(candidates) - 1
    while index > 0 and any(word in type(candidates[index][1]).__name__ for word in PASS_THROUGH):
        index -= 1
    module = candidates[index][1]
    return Target(_module_name(model, module), module, forward)


def _lookup(model: torch.nn.Module, layer: Any) -> torch.nn.Module:
    if isinstance(layer, torch.nn.Module):
        return layer
    for name, module in model.named_modules():
        if name == layer or getattr(module, "name", None) == layer:
            return module
    inside = [m for n, m in model.named_modules() if isinstance(layer, str) and n.endswith("." + layer)]
    if len(inside) == 1:  # a path inside a nested model, e.g. 'blocks.10' of a zoo model used as a layer
        return inside[0]
    names = [getattr(m, "name", n) for n, m in model.named_modules() if n][:30]
    raise InvalidArgumentError(f"explain: model has no layer named {layer!r}. Layers: {', '.join(map(str, names))}.")


def _feature_target(model: torch.nn.Module) -> Target:
    tap = FeatureTap()

    def forward(x: torch.Tensor) -> torch.Tensor:
        internal = layout.to_internal(x, model.data_format)
        with layout.internal_layout():
            return scores(model.forward_head(tap(model.forward_features(internal))))
    return Target("forward_features", tap, forward)


def channel_axis(model: torch.nn.Module) -> int:
    """The channel axis of the user's images for this model (-1 for channels_last, 1 for channels_first).

    >>> channel_axis(torch.nn.Linear(1, 1))
    -1
    """
    from glassnet.config import image_data_format
    fmt = getattr(model, "data_format", None) or image_data_format()
    return -1 if fmt == "channels_last" else 1


__all__ = ["Target", "find_layer", "resolve_targets", "model_scores", "scores", "as_batch", "device_of",
           "channel_axis"]
