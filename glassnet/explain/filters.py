"""What a convnet learned: its first layer's filters, the feature maps of one image, and the images
that excite a unit most (Zeiler & Fergus 2014: edges and colours first, parts later).

>>> from glassnet.layers import Conv2D, Flatten, Dense, Input
>>> from glassnet.models import Sequential
>>> net = Sequential([Input(shape=(8, 8, 3)), Conv2D(4, 3, name='c1'), Conv2D(2, 3, name='c2'),
...                   Flatten(), Dense(2)])
>>> first_conv(net)[0]
'c1'
>>> {k: v.shape for k, v in feature_maps(net, np.zeros((8, 8, 3), np.float32)).items()}
{'c1': (6, 6, 4), 'c2': (4, 4, 2)}
"""

from __future__ import annotations

import math
import os
from typing import Any, Sequence

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError, ShapeError
from glassnet.explain.figures import new_figure, save_figure
from glassnet.explain.overlay import display_images
from glassnet.explain.targets import _lookup, as_batch, channel_axis
from glassnet.modes import evaluating


def _is_conv(module: torch.nn.Module) -> bool:
    weight = getattr(module, "weight", None)
    return torch.is_tensor(weight) and weight.dim() == 4 and not list(module.children())


def first_conv(model: torch.nn.Module) -> tuple[str, torch.nn.Module]:
    """(name, module) of the first convolution: ``model.first_conv`` for zoo models, else the first
    module with a 4-D kernel."""
    path = getattr(model, "first_conv", None)
    if isinstance(path, str):
        module = model.get_submodule(path)
        return getattr(module, "name", path), module
    for name, module in model.named_modules():
        if _is_conv(module):
            return getattr(module, "name", name), module
    raise ShapeError(f"show_filters: model '{getattr(model, 'name', type(model).__name__)}' has no convolution "
                     "layer (no 4-D kernel); filters can be shown for Conv2D layers only.")


def _tile(kernel: np.ndarray) -> np.ndarray:
    """(in, kh, kw) kernel -> an image: RGB for 3 input channels, else the mean over them; scaled to [0, 1]."""
    img = kernel.transpose(1, 2, 0) if kernel.shape[0] == 3 else kernel.mean(0)
    lo, hi = img.min(), img.max()
    return (img - lo) / max(hi - lo, 1e-8)


def show_filters(model: torch.nn.Module, layer: Any = None, path: str | os.PathLike = "filters.png",
                 max_filters: int = 64) -> str:
    """Save the kernels of ``layer`` (default: the first convolution) as an image grid; returns the path.

    Kernels with 3 input channels are drawn in colour (R, G, B as the image's channels), others as the
    mean over their input channels; each is stretched to its own range.

    >>> import tempfile
    >>> from glassnet.applications import ResNet18
    >>> show_filters(ResNet18(classes=2), path=os.path.join(tempfile.mkdtemp(), 'f.png')).endswith('f.png')
    True
    """
    if layer is None:
        name, module = first_conv(model)
    else:
        module = _lookup(model, layer)
        name = getattr(module, "name", str(layer))
    if not _is_conv(module):
        raise ShapeError(f"show_filters: layer '{name}' is not a convolution (no 4-D kernel); pass a Conv2D layer.")
    weights = module.weight.detach().float().cpu().numpy()[:max_filters]
    cols = min(len(weights), 8)
    rows = math.ceil(len(weights) / cols)
    fig, axes = new_figure(rows, cols, (1.3 * cols, 1.3 * rows + 0.5))
    for ax in axes.flat:
        ax.axis("off")
    for i, kernel in enumerate(weights):
        tile = _tile(kernel)
        axes.flat[i].imshow(tile, cmap=None if tile.ndim == 3 else "gray", interpolation="nearest")
    fig.suptitle(f"{name}: {len(weights)} of {module.weight.shape[0]} filters "
                 f"{module.weight.shape[2]}×{module.weight.shape[3]}×{module.weight.shape[1]}")
    fig.tight_layout()
    return save_figure(fig, path)


def _activations(model: torch.nn.Module, x: torch.Tensor, modules: dict[str, torch.nn.Module]) -> dict:
    grabbed: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda mod, a, out, n=n: grabbed.setdefault(n, out.detach()))
             for n, m in modules.items()]
    try:
        with torch.no_grad(), evaluating(model):
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return grabbed


def _default_layers(model: torch.nn.Module, x: torch.Tensor, limit: int = 6) -> dict[str, torch.nn.Module]:
    convs = [(getattr(m, "name", n), m) for n, m in model.named_modules() if _is_conv(m)]
    if len(convs) > limit:  # spread over the depth: first, last and evenly between
        convs = [convs[round(i * (len(convs) - 1) / (limit - 1))] for i in range(limit)]
    return dict(convs)


def feature_maps(model: torch.nn.Module, image: Any, layers: Sequence[Any] | None = None,
                 path: str | os.PathLike | None = None, max_channels: int = 16) -> dict[str, np.ndarray]:
    """The activations of ``layers`` (names or modules; default: up to 6 convolutions spread over the
    depth) for one ``image``, as {name: array (H, W, C) in the user's layout ((C, H, W) for
    channels_first)}. With ``path``, also saves a grid per layer (first ``max_channels`` channels)."""
    x = as_batch(model, image)[:1]
    if layers is None:
        chosen = _default_layers(model, x)
    else:
        chosen = {}
        for layer in layers:
            module = _lookup(model, layer)
            chosen[getattr(module, "name", str(layer))] = module
    grabbed = _activations(model, x, chosen)
    maps = {}
    for name in chosen:
        out = grabbed.get(name)
        if out is None or out.dim() != 4:
            raise ShapeError(f"feature_maps: layer '{name}' does not output a feature map (N, C, H, W)"
                             f"{'' if out is None else f', it gives shape {tuple(out.shape)}'}; choose a conv layer.")
        fmap = out[0].float().cpu().numpy()  # internal (C, H, W)
        maps[name] = fmap.transpose(1, 2, 0) if channel_axis(model) == -1 else fmap
    if path is not None:
        _plot_feature_maps({n: (m if channel_axis(model) != -1 else m.transpose(2, 0, 1)) for n, m in maps.items()},
                           path, max_channels)
    return maps


def _plot_feature_maps(maps: dict[str, np.ndarray], path: str | os.PathLike, max_channels: int) -> str:
    cols = min(max_channels, max(m.shape[0] for m in maps.values()))
    fig, axes = new_figure(len(maps), cols, (1.2 * cols, 1.4 * len(maps)))
    for ax in axes.flat:
        ax.axis("off")
    for r, (name, fmap) in enumerate(maps.items()):
        for c in range(min(cols, fmap.shape[0])):
            axes[r, c].imshow(fmap[c], cmap="viridis")
        axes[r, 0].set_title(f"{name} ({fmap.shape[0]}×{fmap.shape[1]}×{fmap.shape[2]})", fontsize=8, loc="left")
    fig.tight_layout()
    return save_figure(fig, path)


def max_activations(model: torch.nn.Module, data: Any, layer: Any, unit: int, k: int = 9,
                    batch_size: int = 128, path: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` images of ``data`` that excite ``unit`` (a channel of a conv layer, or a unit of a
    dense layer) of ``layer`` most: (indices into data, their activations), highest first. For a
    channel the activation is its strongest response anywhere in the image; with ``path`` the grid
    marks where (the position scaled to the image).

    >>> from glassnet.layers import Conv2D, Flatten, Dense, Input
    >>> from glassnet.models import Sequential
    >>> net = Sequential([Input(shape=(4, 4, 1)), Conv2D(1, 1, use_bias=False, name='c'), Flatten(), Dense(2)])
    >>> with torch.no_grad(): _ = net.get_layer('c').weight.fill_(1.0)
    >>> data = np.arange(5, dtype=np.float32)[:, None, None, None] * np.ones((5, 4, 4, 1), np.float32)
    >>> max_activations(net, data, 'c', unit=0, k=2)[0].tolist()
    [4, 3]
    """
    module = _lookup(model, layer)
    name = getattr(module, "name", str(layer))
    images = data
    best, where = [], []
    for start in range(0, len(images), batch_size):
        x = as_batch(model, images[start:start + batch_size])
        out = _activations(model, x, {name: module})[name]
        if unit >= out.shape[1]:
            raise InvalidArgumentError(f"max_activations: unit={unit} but layer '{name}' has {out.shape[1]} units "
                                       f"(channels); pick 0..{out.shape[1] - 1}.")
        act = out[:, unit].float().reshape(len(x), -1)
        values, pos = act.max(1)
        best.append(values.cpu())
        grid = out.shape[2:] if out.dim() == 4 else (1, 1)
        where += [((int(p) // grid[-1] + 0.5) / grid[0], (int(p) % grid[-1] + 0.5) / grid[-1]) for p in pos.cpu()]
    values = torch.cat(best).numpy()
    order = np.argsort(-values, kind="stable")[:k]
    if path is not None:
        _plot_max(images, order, values, [where[i] for i in order], name, unit, path)
    return order, values[order]


def _plot_max(images, order, values, where, name: str, unit: int, path) -> str:
    shown = display_images(np.asarray(images)[order])
    cols = min(len(order), 5)
    rows = math.ceil(len(order) / cols)
    fig, axes = new_figure(rows, cols, (2 * cols, 2.2 * rows))
    for ax in axes.flat:
        ax.axis("off")
    for i, (index, (fy, fx)) in enumerate(zip(order, where)):
        ax = axes.flat[i]
        ax.imshow(shown[i][..., 0] if shown.shape[-1] == 1 else shown[i], cmap="gray" if shown.shape[-1] == 1 else None)
        h, w = shown.shape[1:3]
        ax.plot([fx * w - 0.5], [fy * h - 0.5], "r+", markersize=10)
        ax.set_title(f"#{index}: {values[index]:.2f}", fontsize=8)
    fig.suptitle(f"{name}, unit {unit}: the {len(order)} strongest images")
    fig.tight_layout()
    return save_figure(fig, path)


__all__ = ["show_filters", "feature_maps", "max_activations", "first_conv"]
