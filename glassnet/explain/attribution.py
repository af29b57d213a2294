"""Which pixels made the network say that: Grad-CAM, saliency, integrated gradients, occlusion.

Each explainer takes a batch of images as the model takes them (user layout, preprocessed as for
``predict``) and returns numpy maps, one per image. By default a map is (N, H, W), one value per
pixel, so it can be laid over the image; ``keep_channels=True`` returns the attributions in the
user's image layout, one per input value. The work is done by captum (Kokhlikyan et al. 2020);
glassnet finds the layer, the class scores (logits before a softmax) and the target class.

The model is run in eval mode on its own device and is left exactly as it was: training flags,
batch-norm statistics, ``requires_grad`` and ``.grad`` of every parameter.

>>> from glassnet.layers import Conv2D, Dense, GlobalAveragePooling2D, Input
>>> from glassnet.models import Sequential
>>> net = Sequential([Input(shape=(8, 8, 3)), Conv2D(4, 3, padding='same', activation='relu'),
...                   GlobalAveragePooling2D(), Dense(2, activation='softmax')])
>>> images = np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32)
>>> grad_cam(net, images).shape, saliency(net, images).shape
((2, 8, 8), (2, 8, 8))
>>> integrated_gradients(net, images, keep_channels=True).shape
(2, 8, 8, 3)
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError
from glassnet.explain.targets import as_batch, channel_axis, find_layer, model_scores, resolve_targets
from glassnet.modes import evaluating


def _captum():
    try:
        import captum.attr as attr
    except ImportError as err:  # pragma: no cover - captum is a dependency
        from glassnet.errors import MissingToolError
        raise MissingToolError("glassnet.explain needs captum: pip install captum") from err
    return attr


def _maps(attributions: torch.Tensor, model: torch.nn.Module, keep_channels: bool, reduce: str) -> np.ndarray:
    """(N, H, W) per-pixel maps (channels reduced by ``reduce``) or the user-layout attributions."""
    if keep_channels:
        return attributions.detach().cpu().numpy()
    axis = channel_axis(model)
    reduced = {"max": lambda a: a.amax(axis), "sum": lambda a: a.sum(axis), "mean": lambda a: a.mean(axis)}[reduce]
    return reduced(attributions.detach()).cpu().numpy()


def grad_cam(model: torch.nn.Module, images: Any, target: Any = None, layer: Any = None,
             relu: bool = True) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017): the feature map of ``layer`` weighted by the mean gradient of
    the target score per channel, ReLU'd, and resized (bilinear) to the image: (N, H, W).

    ``target``: None (the predicted class), one class index, or one per image. ``layer``: a layer
    name, module path or module; by default the last convolutional block (``find_layer``).

    >>> from glassnet.applications import ResNet18
    >>> grad_cam(ResNet18(classes=3), np.random.default_rng(0).random((2, 32, 32, 3)), relu=False).shape
    (2, 32, 32)
    """
    attr = _captum()
    x = as_batch(model, images)
    with evaluating(model), torch.enable_grad():
        spot = find_layer(model, x, layer)
        t = resolve_targets(model, x, target)
        cam = attr.LayerGradCam(spot.forward, spot.module).attribute(x, target=t, relu_attributions=relu)
        size = tuple(x.shape[1:3]) if channel_axis(model) == -1 else tuple(x.shape[2:4])
        cam = attr.LayerAttribution.interpolate(cam.detach(), size, interpolate_mode="bilinear")
    maps = cam[:, 0].cpu().numpy()
    empty = int((maps.reshape(len(maps), -1).max(1) <= 0).sum())
    if relu and empty:
        warnings.warn(f"grad_cam: the map is zero for {empty} of {len(maps)} images: at layer '{spot.name}' no "
                      "position adds evidence for the class once the channels are weighted by their mean gradient "
                      "(the image holds nothing for that class, the model is untrained, or a Flatten + Dense head "
                      "gives every position its own weights: Grad-CAM suits global-pooling heads, as in every "
                      "glassnet.applications model). Try saliency() or integrated_gradients(), or relu=False to see "
                      "the negative map.", stacklevel=2)
    return maps


def saliency(model: torch.nn.Module, images: Any, target: Any = None, keep_channels: bool = False) -> np.ndarray:
    """Saliency (Simonyan et al. 2014): |d score / d pixel|, the largest over the colour channels:
    (N, H, W); ``keep_channels=True``: every channel, in the user's layout.

    >>> from glassnet.layers import Dense, Flatten, Input
    >>> from glassnet.models import Sequential
    >>> net = Sequential([Input(shape=(4, 4, 1)), Flatten(), Dense(2)])
    >>> saliency(net, np.ones((3, 4, 4, 1), np.float32)).shape
    (3, 4, 4)
    """
    attr = _captum()
    x = as_batch(model, images).requires_grad_(True)
    with evaluating(model), torch.enable_grad():
        t = resolve_targets(model, x, target)
        grads = attr.Saliency(model_scores(model)).attribute(x, target=t, abs=True)
    return _maps(grads, model, keep_channels, "max")


def integrated_gradients(model: torch.nn.Module, images: Any, target: Any = None, baseline: Any = 0.0,
                         steps: int = 50, keep_channels: bool = False, internal_batch_size: int = 512
                         ) -> np.ndarray:
    """Integrated gradients (Sundararajan et al. 2017): the gradient averaged along the straight path
    from ``baseline`` (a number or an array like the images; black by default) to the image, times
    (image − baseline). Summed over channels: (N, H, W). Completeness: the attributions of an image
    add up to score(image) − score(baseline) (more ``steps``, smaller error).

    >>> from glassnet.layers import Dense, Flatten, Input
    >>> from glassnet.models import Sequential
    >>> net = Sequential([Input(shape=(2, 2, 1)), Flatten(), Dense(2)])
    >>> x = np.ones((1, 2, 2, 1), np.float32)
    >>> maps = integrated_gradients(net, x, target=0)
    >>> z = net(torch.from_numpy(x))[0, 0] - net(torch.zeros(1, 2, 2, 1))[0, 0]
    >>> bool(abs(maps.sum() - z.item()) < 1e-4)
    True
    """
    if steps < 2:
        raise InvalidArgumentError(f"integrated_gradients: steps={steps}; use at least 2 (50 is usual).")
    attr = _captum()
    x = as_batch(model, images)
    base = baseline if isinstance(baseline, (int, float)) else as_batch(model, baseline).expand_as(x)
    with evaluating(model), torch.enable_grad():
        t = resolve_targets(model, x, target)
        ig = attr.IntegratedGradients(model_scores(model)).attribute(
            x, baselines=base, target=t, n_steps=steps, internal_batch_size=max(internal_batch_size, len(x)))
    return _maps(ig, model, keep_channels, "sum")


def occlusion(model: torch.nn.Module, images: Any, target: Any = None, window: int | None = None,
              stride: int | None = None, baseline: float = 0.0, keep_channels: bool = False) -> np.ndarray:
    """Occlusion (Zeiler & Fergus 2014): how much the target score drops when a ``window`` × ``window``
    square (all channels) is replaced by ``baseline``, slid with ``stride``; averaged over channels:
    (N, H, W). Default window: 1/8 of the image side; stride: half the window.

    >>> from glassnet.layers import Dense, Flatten, Input
    >>> from glassnet.models import Sequential
    >>> net = Sequential([Input(shape=(8, 8, 1)), Flatten(), Dense(2)])
    >>> occlusion(net, np.ones((2, 8, 8, 1), np.float32), window=2).shape
    (2, 8, 8)
    """
    attr = _captum()
    x = as_batch(model, images)
    axis = channel_axis(model)
    h, w = (x.shape[1], x.shape[2]) if axis == -1 else (x.shape[2], x.shape[3])
    channels = x.shape[axis]
    window = window or max(1, min(h, w) // 8)
    stride = stride or max(1, window // 2)
    shape = (window, window, channels) if axis == -1 else (channels, window, window)
    strides = (stride, stride, channels) if axis == -1 else (channels, stride, stride)
    with evaluating(model), torch.no_grad():
        t = resolve_targets(model, x, target)
        occ = attr.Occlusion(model_scores(model)).attribute(x, sliding_window_shapes=shape, strides=strides,
                                                            baselines=baseline, target=t)
    return _maps(occ, model, keep_channels, "mean")


__all__ = ["grad_cam", "saliency", "integrated_gradients", "occlusion"]
