"""Preprocessing and augmentation layers, Keras-named, working on whole batches on the device.

Use them inside a model (random augmentations are active only in training:
``fit``; ``evaluate``/``predict`` put the model in eval mode, where they are
the identity) or in a data pipeline (``dataset.augment(RandomFlip(), ...)``).
Like every layer they receive the internal layout: NCHW for images. Geometric
transforms use kornia's batched warps; per-sample randomness is drawn for the
whole batch at once from a seeded generator, so the same ``seed`` gives the
same augmented batch.

>>> import torch
>>> x = torch.rand(4, 3, 8, 8)
>>> RandomFlip('horizontal', seed=1)(x).shape
torch.Size([4, 3, 8, 8])
>>> Rescaling(1 / 255)(torch.full((1, 1, 2, 2), 255.0)).max().item()
1.0
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from glassnet import layout
from glassnet.errors import ShapeError
from glassnet.layers.base import Layer
from glassnet.random import SeedStream

_FILL_MODES = {"reflect": "reflection", "nearest": "border", "constant": "zeros", "zeros": "zeros"}


def _range(factor: float | Sequence[float], name: str, symmetric: bool = True) -> tuple[float, float]:
    """Keras' factor: a number f -> (-f, f); a pair (lo, hi) stays."""
    if isinstance(factor, (int, float)):
        lo, hi = (-abs(factor), abs(factor)) if symmetric else (0.0, float(factor))
    else:
        lo, hi = (float(v) for v in factor)
    if lo > hi:
        raise ValueError(f"{name}: the lower bound {lo} is above the upper bound {hi}.")
    return float(lo), float(hi)


def _images(x: torch.Tensor, layer: Layer) -> torch.Tensor:
    if x.dim() != 4:
        raise ShapeError(f"{type(layer).__name__} '{layer.name}' works on batches of images (N, H, W, C); got "
                         f"a tensor of rank {x.dim()} with shape {tuple(x.shape)}.")
    return x if x.is_floating_point() else x.float()


class RandomLayer(Layer):
    """Base of the random augmentation layers: a seeded generator per device; identity unless training.

    ``seed=None`` draws a seed from torch's global generator when the layer is
    created (so ``torch.manual_seed`` makes runs reproducible).
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = int(torch.randint(0, 2**31 - 1, ()).item()) if seed is None else int(seed)
        self._seeds = SeedStream(self.seed)

    def generator(self, device: torch.device) -> torch.Generator:
        return self._seeds.generator(device)

    def uniform(self, n: int, lo: float, hi: float, device: torch.device) -> torch.Tensor:
        """``n`` draws from U(lo, hi) on ``device``."""
        return torch.rand(n, generator=self.generator(device), device=device) * (hi - lo) + lo

    def call(self, inputs, training: bool | None = None):
        active = self.training if training is None else training
        if not active:
            return inputs
        return self.augment(_images(inputs, self))

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


# ---------------------------------------------------------------------------- deterministic
class Rescaling(Layer):
    """``x * scale + offset`` (always on), e.g. ``Rescaling(1/255)`` maps 0-255 to 0-1.

    >>> Rescaling(1 / 127.5, offset=-1)(torch.tensor([0.0, 255.0])).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def call(self, inputs):
        x = inputs if inputs.is_floating_point() else inputs.float()
        return x * self.scale + self.offset


class Normalization(Layer):
    """Standardise features: ``(x - mean) / sqrt(variance)`` along ``axis`` (channels by default).

    Give ``mean``/``variance`` or call :meth:`adapt` on data in the user's layout.

    >>> norm = Normalization()
    >>> norm.adapt(np.array([[1.0], [3.0]]))
    >>> norm(torch.tensor([[1.0], [3.0]])).flatten().tolist()
    [-1.0, 1.0]
    """

    def __init__(self, axis: int = -1, mean: Any = None, variance: Any = None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.invert = axis, invert
        self.register_buffer("mean", None if mean is None else torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("variance",
                             None if variance is None else torch.as_tensor(variance, dtype=torch.float32).flatten())

    def adapt(self, data: Any, batch_size: int = 4096) -> None:
        """Compute mean and variance of ``data`` (array, tensor, or a dataset yielding batches) per feature."""
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor, list)) else (
            b[0] if isinstance(b, (tuple, list)) else b for b in data)
        count, total, total_sq = 0, None, None
        for batch in batches:
            x = torch.as_tensor(np.asarray(batch) if not torch.is_tensor(batch) else batch).double().cpu()
            axis = self.axis % x.dim()
            flat = x.movedim(axis, -1).reshape(-1, x.shape[axis])
            total = flat.sum(0) if total is None else total + flat.sum(0)
            total_sq = (flat**2).sum(0) if total_sq is None else total_sq + (flat**2).sum(0)
            count += flat.shape[0]
        mean = total / count
        self.mean = (mean).float()
        self.variance = (total_sq / count - mean**2).clamp_min(0).float()

    def call(self, inputs):
        if self.mean is None:
            raise ValueError(f"Normalization '{self.name}' has no statistics: call .adapt(data) or give "
                             "mean= and variance=.")
        x = inputs if inputs.is_floating_point() else inputs.float()
        axis = layout.internal_axis(self.axis, x.dim(), self.data_format)
        shape = [1] * x.dim()
        shape[axis] = -1
        mean, std = self.mean.to(x.device).view(shape), self.variance.to(x.device).sqrt().clamp_min(1e-7).view(shape)
        return x * std + mean if self.invert else (x - mean) / std


class Resizing(Layer):
    """Resize images to ``(height, width)`` (always on); ``crop_to_aspect_ratio`` crops instead of distorting.

    >>> Resizing(4, 6)(torch.rand(2, 3, 8, 8)).shape
    torch.Size([2, 3, 4, 6])
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation, self.crop_to_aspect_ratio = interpolation, crop_to_aspect_ratio

    def call(self, inputs):
        x = _images(inputs, self)
        if self.crop_to_aspect_ratio:
            h, w = x.shape[-2:]
            target = self.width / self.height
            ch, cw = (h, int(round(h * target))) if w / h > target else (int(round(w / target)), w)
            x = _center_crop(x, min(ch, h), min(cw, w))
        align = False if self.interpolation in ("bilinear", "bicubic") else None
        return F.interpolate(x, size=(self.height, self.width), mode=self.interpolation, align_corners=align)


def _center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    top, left = (h - height) // 2, (w - width) // 2
    return x[..., top:top + height, left:left + width]


class CenterCrop(Layer):
    """Crop the central ``(height, width)`` window (always on; smaller images are resized up first).

    >>> CenterCrop(2, 2)(torch.arange(16.).view(1, 1, 4, 4)).flatten().tolist()
    [5.0, 6.0, 9.0, 10.0]
    """

    def __init__(self, height: int, width: int, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        x = _images(inputs, self)
        h, w = x.shape[-2:]
        if h < self.height or w < self.width:
            scale = max(self.height / h, self.width / w)
            x = F.interpolate(x, size=(max(self.height, math.ceil(h * scale)), max(self.width, math.ceil(w * scale))),
                              mode="bilinear", align_corners=False)
        return _center_crop(x, self.height, self.width)


# ---------------------------------------------------------------------------- random
class RandomCrop(RandomLayer):
    """A random ``(height, width)`` window per image in training; the central window otherwise.

    >>> RandomCrop(24, 24, seed=0)(torch.rand(8, 3, 32, 32)).shape
    torch.Size([8, 3, 24, 24])
    """

    def __init__(self, height: int, width: int, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height, self.width = int(height), int(width)
        self._center = CenterCrop(height, width)

    def call(self, inputs, training: bool | None = None):
        active = self.training if training is None else training
        x = _images(inputs, self)
        h, w = x.shape[-2:]
        if not active or h < self.height or w < self.width:
            return self._center(x)
        return self.augment(x)

    def augment(self, x):
        n, _, h, w = x.shape
        g, dev = self.generator(x.device), x.device
        top = torch.randint(0, h - self.height + 1, (n,), generator=g, device=dev)
        left = torch.randint(0, w - self.width + 1, (n,), generator=g, device=dev)
        windows = x.unfold(2, self.height, 1).unfold(3, self.width, 1)  # a view: (N, C, H-h+1, W-w+1, h, w)
        return windows[torch.arange(n, device=dev), :, top, left]


class RandomFlip(RandomLayer):
    """Flip each image with probability 1/2: 'horizontal', 'vertical' or 'horizontal_and_vertical'.

    >>> x = torch.rand(4, 1, 5, 5)
    >>> torch.equal(RandomFlip(seed=3)(RandomFlip(seed=3)(x)), x)  # same draws: flipping twice is the identity
    True
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', "
                             f"not {mode!r}.")
        self.mode = mode

    def augment(self, x):
        n = x.shape[0]
        g = self.generator(x.device)
        out = x.clone()
        for dim, modes in ((-1, ("horizontal", "horizontal_and_vertical")), (-2, ("vertical", "horizontal_and_vertical"))):
            if self.mode in modes:
                flip = torch.rand(n, generator=g, device=x.device) < 0.5
                out[flip] = out[flip].flip(dim)  # copies only the flipped half
        return out


class _AffineLayer(RandomLayer):
    """Shared by rotation, zoom and translation: one batched affine warp (kornia) per call."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", fill_value: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"fill_mode {fill_mode!r} is not supported; use one of {', '.join(_FILL_MODES)}.")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def matrices(self, n: int, h: int, w: int, device) -> torch.Tensor:
        raise NotImplementedError

    def augment(self, x):
        from kornia.geometry.transform import warp_affine

        n, c, h, w = x.shape
        m = self.matrices(n, h, w, x.device).to(x.dtype)
        padding = _FILL_MODES[self.fill_mode]
        fill = None
        if self.fill_mode == "constant" and self.fill_value != 0:
            padding, fill = "fill", torch.full((c,), self.fill_value, device=x.device, dtype=x.dtype)
        return warp_affine(x, m, (h, w), mode=self.interpolation, padding_mode=padding, align_corners=False,
                           fill_value=fill) if fill is not None else \
            warp_affine(x, m, (h, w), mode=self.interpolation, padding_mode=padding, align_corners=False)


def _about_center(linear: torch.Tensor, h: int, w: int, shift: torch.Tensor | None = None) -> torch.Tensor:
    """2x3 pixel-space matrices applying ``linear`` (N, 2, 2) about the image centre, then ``shift`` (N, 2)."""
    center = torch.tensor([(w - 1) / 2, (h - 1) / 2], device=linear.device, dtype=linear.dtype)
    offset = center - linear @ center
    if shift is not None:
        offset = offset + shift
    return torch.cat([linear, offset[..., None]], dim=-1)


class RandomRotation(_AffineLayer):
    """Rotate each image by a random angle in ``factor`` x 360 degrees (a number f means [-f, f]; positive is
    counter-clockwise, as in Keras).

    >>> RandomRotation(0.1, seed=0)(torch.rand(2, 3, 16, 16)).shape
    torch.Size([2, 3, 16, 16])
    """

    def __init__(self, factor: float | Sequence[float], fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.factor = factor
        self.lower, self.upper = _range(factor, "RandomRotation factor")

    def matrices(self, n, h, w, device):
        angle = -self.uniform(n, self.lower, self.upper, device) * 2 * math.pi  # positive: counter-clockwise
        cos, sin = angle.cos(), angle.sin()
        linear = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
        return _about_center(linear, h, w)


class RandomZoom(_AffineLayer):
    """Zoom each image by a random factor: positive values zoom out, negative zoom in (Keras' convention).

    ``height_factor`` 0.2 means a zoom in [-20%, +20%]; ``width_factor=None`` keeps the aspect ratio.

    >>> RandomZoom(0.2, seed=0)(torch.rand(2, 1, 16, 16)).shape
    torch.Size([2, 1, 16, 16])
    """

    def __init__(self, height_factor: float | Sequence[float], width_factor: float | Sequence[float] | None = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = _range(height_factor, "RandomZoom height_factor")
        self.w_range = None if width_factor is None else _range(width_factor, "RandomZoom width_factor")

    def matrices(self, n, h, w, device):
        zh = 1 + self.uniform(n, *self.h_range, device)
        zw = zh if self.w_range is None else 1 + self.uniform(n, *self.w_range, device)
        zero = torch.zeros_like(zh)
        linear = torch.stack([torch.stack([1 / zw, zero], -1), torch.stack([zero, 1 / zh], -1)], -2)
        return _about_center(linear, h, w)


class RandomTranslation(_AffineLayer):
    """Shift each image by random fractions of its height and width.

    >>> RandomTranslation(0.1, 0.1, seed=0)(torch.rand(2, 3, 8, 8)).shape
    torch.Size([2, 3, 8, 8])
    """

    def __init__(self, height_factor: float | Sequence[float], width_factor: float | Sequence[float],
                 fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, **kwargs):
        super().__init__(fill_mode, interpolation, fill_value, seed, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.h_range = _range(height_factor, "RandomTranslation height_factor")
        self.w_range = _range(width_factor, "RandomTranslation width_factor")

    def matrices(self, n, h, w, device):
        dy = self.uniform(n, *self.h_range, device) * h
        dx = self.uniform(n, *self.w_range, device) * w
        eye = torch.eye(2, device=device).expand(n, 2, 2)
        return _about_center(eye, h, w, torch.stack([dx, dy], -1))


class RandomContrast(RandomLayer):
    """Scale each image's deviation from its per-channel mean by a random factor in [1 - lower, 1 + upper].

    >>> RandomContrast(0.5, seed=0)(torch.rand(2, 3, 4, 4) * 255).shape
    torch.Size([2, 3, 4, 4])
    """

    def __init__(self, factor: float | Sequence[float], value_range: Sequence[float] = (0, 255),
                 seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor, self.value_range = factor, tuple(value_range)
        lower, upper = (factor, factor) if isinstance(factor, (int, float)) else factor
        self.lo, self.hi = 1 - float(lower), 1 + float(upper)

    def augment(self, x):
        f = self.uniform(x.shape[0], self.lo, self.hi, x.device).view(-1, 1, 1, 1)
        mean = x.mean(dim=(-2, -1), keepdim=True)
        return ((x - mean) * f + mean).clamp(*self.value_range)


class RandomBrightness(RandomLayer):
    """Add a random brightness shift to each image: ``factor`` is a fraction of ``value_range``.

    >>> RandomBrightness(0.2, seed=0)(torch.full((2, 3, 4, 4), 100.0)).shape
    torch.Size([2, 3, 4, 4])
    """

    def __init__(self, factor: float | Sequence[float], value_range: Sequence[float] = (0, 255),
                 seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor, self.value_range = factor, tuple(value_range)
        self.lower, self.upper = _range(factor, "RandomBrightness factor")

    def augment(self, x):
        span = self.value_range[1] - self.value_range[0]
        delta = self.uniform(x.shape[0], self.lower, self.upper, x.device).view(-1, 1, 1, 1) * span
        return (x + delta).clamp(*self.value_range)


class RandomCutout(RandomLayer):
    """Cutout / random erasing: fill one random rectangle per image with ``fill_value``.

    ``height_factor`` / ``width_factor``: the rectangle's size as a fraction of
    the image (a number f means up to f; a pair (lo, hi) a range).

    >>> out = RandomCutout(0.5, 0.5, seed=0)(torch.ones(2, 1, 8, 8))
    >>> bool((out == 0).any())
    True
    """

    def __init__(self, height_factor: float | Sequence[float], width_factor: float | Sequence[float],
                 fill_value: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height_factor, self.width_factor, self.fill_value = height_factor, width_factor, float(fill_value)
        self.h_range = _range(height_factor, "RandomCutout height_factor", symmetric=False)
        self.w_range = _range(width_factor, "RandomCutout width_factor", symmetric=False)

    def augment(self, x):
        n, _, h, w = x.shape
        dev = x.device
        bh = (self.uniform(n, *self.h_range, dev) * h).round().clamp(min=1)
        bw = (self.uniform(n, *self.w_range, dev) * w).round().clamp(min=1)
        cy, cx = self.uniform(n, 0, h, dev), self.uniform(n, 0, w, dev)
        rows = torch.arange(h, device=dev)[None, :]
        cols = torch.arange(w, device=dev)[None, :]
        in_rows = (rows >= (cy - bh / 2)[:, None]) & (rows < (cy + bh / 2)[:, None])
        in_cols = (cols >= (cx - bw / 2)[:, None]) & (cols < (cx + bw / 2)[:, None])
        mask = (in_rows[:, :, None] & in_cols[:, None, :])[:, None]
        return x.masked_fill(mask, self.fill_value)


RandomErasing = RandomCutout


class MixUp(RandomLayer):
    """MixUp (Zhang et al. 2018): blend each sample and its label with another sample of the batch.

    A data-pipeline step: it takes and returns ``(x, y)``; ``y`` is one-hot
    (integer labels are one-hot encoded with ``num_classes``). Works for images
    and tabular data. Identity outside training.

    >>> x, y = torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 0])
    >>> xm, ym = MixUp(alpha=0.2, num_classes=3, seed=0)(x, y)
    >>> ym.shape, bool(torch.allclose(ym.sum(1), torch.ones(4)))
    (torch.Size([4, 3]), True)
    """

    uses_labels = True

    def __init__(self, alpha: float = 0.2, num_classes: int | None = None, seed: int | None = None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.alpha, self.num_classes = float(alpha), num_classes

    def call(self, inputs, labels=None, training: bool | None = None):
        if labels is None:
            raise ValueError("MixUp needs the labels too: call it as mixup(x, y) (e.g. dataset.augment(MixUp())).")
        active = self.training if training is None else training
        y = labels
        if not y.is_floating_point():
            if self.num_classes is None:
                raise ValueError("MixUp got integer labels; give num_classes= (or use label_mode='categorical').")
            y = F.one_hot(y.long().view(-1), self.num_classes).float()
        if not active:
            return inputs, y
        x = inputs if inputs.is_floating_point() else inputs.float()
        n, dev = x.shape[0], x.device
        g = self.generator(dev)
        if not hasattr(self, "_beta_rng"):
            self._beta_rng = np.random.default_rng(self.seed)
        lam = float(self._beta_rng.beta(self.alpha, self.alpha))
        perm = torch.randperm(n, generator=g, device=dev)
        return lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]


__all__ = ["Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation",
           "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCutout", "RandomErasing",
           "MixUp"]
