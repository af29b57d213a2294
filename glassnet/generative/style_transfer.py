"""Neural style transfer (Gatys, Ecker & Bethge 2016): paint one photo in the style of another.

A pretrained convnet describes images at several depths. The *content* of an image is its
feature map at a middle layer; its *style* is the correlation between feature channels —
the Gram matrix ``G = F Fᵀ / (C·H·W)`` — at several layers (textures and colours, but not
where things are). Starting from noise (or from the content photo), the picture itself is
optimised with ``torch.optim`` (Adam or L-BFGS) to minimise

    content_weight·‖F(x) − F(content)‖² + style_weight·Σ_layers ‖G(x) − G(style)‖² + tv_weight·TV(x)

where the total variation ``TV`` keeps neighbouring pixels similar (less high-frequency noise).
The default feature extractor is Keras' MobileNet v1 (alpha 0.25, ImageNet weights, no top;
the file in ``$GLASSNET_DATA/weights``); any zoo model with ``forward_features`` and named
layers works (``extractor=``, ``content_layers=``, ``style_layers=``).

>>> import torch
>>> gram_matrix(torch.ones(1, 2, 3, 3))  # two identical channels, all ones
tensor([[[0.5000, 0.5000],
         [0.5000, 0.5000]]])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from glassnet import layout
from glassnet.errors import InvalidArgumentError
from glassnet.modes import evaluating


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Channel correlations of feature maps (N, C, H, W) -> (N, C, C), divided by C·H·W.

    >>> gram_matrix(torch.zeros(2, 4, 5, 5)).shape
    torch.Size([2, 4, 4])
    """
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (c * h * w)


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels of images (N, C, H, W).

    >>> total_variation(torch.ones(1, 3, 4, 4)).item(), total_variation(torch.eye(2).reshape(1, 1, 2, 2)).item()
    (0.0, 2.0)
    """
    return (images[..., 1:, :] - images[..., :-1, :]).abs().mean() + \
        (images[..., :, 1:] - images[..., :, :-1]).abs().mean()


class FeatureExtractor(torch.nn.Module):
    """The outputs of named layers of a zoo model (forward hooks on ``forward_features``), for
    images (N, 3, H, W) in [0, 1]; ``preprocess`` maps them to the model's input range (default:
    MobileNet's ``2x − 1``). The model runs in inference mode with frozen weights.

    >>> from glassnet.applications import MobileNet
    >>> net = MobileNet(alpha=0.25, include_top=False, weights=None)
    >>> [f.shape[1] for f in FeatureExtractor(net, ['conv1_relu', 'blocks.1'])(torch.rand(1, 3, 32, 32))]
    [8, 32]
    """

    def __init__(self, model: torch.nn.Module, layers: Sequence[str],
                 preprocess: Callable[[torch.Tensor], torch.Tensor] | None = None):
        super().__init__()
        names = dict(model.named_modules())
        missing = [name for name in layers if name not in names]
        if missing:
            raise InvalidArgumentError(f"FeatureExtractor: model '{getattr(model, 'name', type(model).__name__)}' "
                                       f"has no layer(s) {missing}; pick from e.g. "
                                       f"{[n for n in names if n.count('.') <= 1 and n][:12]}.")
        self.model, self.layers = model, list(layers)
        self.preprocess = preprocess or (lambda x: x * 2.0 - 1.0)
        for p in model.parameters():
            p.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        captured: dict[str, torch.Tensor] = {}
        modules = dict(self.model.named_modules())
        hooks = [modules[name].register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o))
                 for name in self.layers]
        try:
            with evaluating(self.model), layout.internal_layout():
                self.model.forward_features(self.preprocess(images))
        finally:
            for hook in hooks:
                hook.remove()
        return [captured[name] for name in self.layers]


def mobilenet_extractor() -> FeatureExtractor:
    """Keras' MobileNet v1 (alpha 0.25) with its ImageNet weights, tapped after the first conv and
    blocks 1, 3, 5 and 7 (strides 2 to 16).

    >>> mobilenet_extractor().layers  # doctest: +SKIP
    ['conv1_relu', 'blocks.1', 'blocks.3', 'blocks.5', 'blocks.7']
    """
    from glassnet.applications import MobileNet
    return FeatureExtractor(MobileNet(alpha=0.25, include_top=False, weights="imagenet"),
                            ["conv1_relu", "blocks.1", "blocks.3", "blocks.5", "blocks.7"])


@dataclass
class StyleTransferResult:
    """The stylised ``image`` (H, W, 3) in [0, 1] and the per-step ``history`` of
    ``loss``, ``content_loss``, ``style_loss`` and ``total_variation`` (unweighted)."""

    image: np.ndarray
    history: dict[str, list[float]] = field(default_factory=dict)


def _as_batch(image: Any) -> torch.Tensor:
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise InvalidArgumentError(f"style_transfer takes RGB images (H, W, 3) with values in [0, 1]; got shape "
                                   f"{array.shape}. Load photos with e.g. np.asarray(PIL.Image.open(p).convert('RGB')) "
                                   "/ 255.")
    if array.max() > 1.0 + 1e-6:
        raise InvalidArgumentError("style_transfer takes pixel values in [0, 1]; these go up to "
                                   f"{array.max():g}: divide by 255.")
    return torch.from_numpy(array).permute(2, 0, 1)[None].contiguous()


def style_transfer(content: Any, style: Any, steps: int = 200, content_weight: float = 1.0,
                   style_weight: float = 10.0, tv_weight: float = 1.0, init: str | float = "content",
                   optimizer: str = "adam", learning_rate: float = 0.02, content_layers: Sequence[str] = ("blocks.3",),
                   style_layers: Sequence[str] = ("conv1_relu", "blocks.1", "blocks.3", "blocks.5", "blocks.7"),
                   extractor: FeatureExtractor | None = None, seed: int = 0) -> StyleTransferResult:
    """Optimise an image with ``content``'s layout and ``style``'s textures (both (H, W, 3) in [0, 1];
    the style image may have another size). ``init``: 'content' (start from the photo: quicker),
    'noise' (Gatys' white noise; slow to converge with MobileNet features) or a number: the share
    of noise mixed into the photo. ``optimizer``: 'adam' (``learning_rate``) or 'lbfgs'.

    >>> rng = np.random.default_rng(0)
    >>> out = style_transfer(rng.random((32, 32, 3)), rng.random((32, 32, 3)), steps=2,  # doctest: +SKIP
    ...                      init='noise')
    >>> out.image.shape, len(out.history['style_loss'])  # doctest: +SKIP
    ((32, 32, 3), 2)
    """
    noise_share = {"content": 0.0, "noise": 1.0}.get(init, init) if isinstance(init, str) else float(init)
    if isinstance(noise_share, str) or not 0.0 <= noise_share <= 1.0:
        raise InvalidArgumentError(f"style_transfer(init={init!r}): use 'content', 'noise', or the share of "
                                   "noise mixed into the content photo (a number in [0, 1], e.g. 0.5).")
    if optimizer not in ("adam", "lbfgs"):
        raise InvalidArgumentError(f"style_transfer(optimizer={optimizer!r}): use 'adam' or 'lbfgs'.")
    layers = list(dict.fromkeys([*content_layers, *style_layers]))
    extractor = extractor or FeatureExtractor(mobilenet_extractor().model, layers)
    if extractor.layers != layers:
        extractor = FeatureExtractor(extractor.model, layers, extractor.preprocess)
    content_x, style_x = _as_batch(content), _as_batch(style)
    content_at = [layers.index(name) for name in content_layers]
    style_at = [layers.index(name) for name in style_layers]
    with torch.no_grad():
        content_targets = [extractor(content_x)[i] for i in content_at]
        style_features = extractor(style_x)
        style_targets = [gram_matrix(style_features[i]) for i in style_at]
    generator = torch.Generator().manual_seed(seed)
    start = (1 - noise_share) * content_x + noise_share * torch.rand(content_x.shape, generator=generator)
    image = torch.nn.Parameter(start)
    history: dict[str, list[float]] = {"loss": [], "content_loss": [], "style_loss": [], "total_variation": []}

    def objective() -> torch.Tensor:
        features = extractor(image)
        content_loss = sum(((features[i] - t) ** 2).mean() for i, t in zip(content_at, content_targets))
        style_loss = sum(((gram_matrix(features[i]) - t) ** 2).sum() for i, t in zip(style_at, style_targets))
        tv = total_variation(image)
        loss = content_weight * content_loss + style_weight * style_loss + tv_weight * tv
        for key, value in zip(history, (loss, content_loss, style_loss, tv)):
            history[key].append(float(value.detach()))
        return loss

    if optimizer == "adam":
        opt = torch.optim.Adam([image], lr=learning_rate)
        for _ in range(steps):
            opt.zero_grad()
            objective().backward()
            opt.step()
            with torch.no_grad():
                image.clamp_(0.0, 1.0)
    else:
        opt = torch.optim.LBFGS([image], lr=1.0, max_iter=steps, history_size=20)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = objective()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            image.clamp_(0.0, 1.0)
    return StyleTransferResult(image.detach()[0].permute(1, 2, 0).numpy(), history)


__all__ = ["gram_matrix", "total_variation", "FeatureExtractor", "mobilenet_extractor", "StyleTransferResult",
           "style_transfer"]
