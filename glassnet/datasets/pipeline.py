"""The batch pipeline: what ``image_dataset_from_directory`` and the array constructors return.

A :class:`Dataset` is an iterable of ``(x_batch, y_batch)`` torch tensors in the
user's layout (N, H, W, C for images with 'channels_last'), with ``len()`` =
batches per epoch, so ``model.fit(ds, epochs=...)`` takes it directly.

* :class:`TensorDataset` — data that fits in memory: ONE tensor on the device
  (uint8 stays uint8), each epoch a ``torch.randperm``, each batch gathered,
  converted to float32 and augmented on the device: no DataLoader, no host copies.
* :class:`StreamingDataset` — data larger than memory: a ``DataLoader`` with
  worker processes and pinned memory yields uint8 batches, then the same
  per-batch conversion and augmentation run on the device.

Labels follow ``label_mode``: 'int' -> int64, 'categorical' -> one-hot float32,
'binary' -> float32 (N, 1), None -> targets as given (float64 -> float32), or
batches of x only when there are no labels.

>>> import numpy as np
>>> ds = TensorDataset(np.zeros((10, 4, 4, 1), np.uint8), np.arange(10) % 2, batch_size=4)
>>> len(ds), [tuple(x.shape) for x, _ in ds]
(3, [(4, 4, 4, 1), (4, 4, 4, 1), (2, 4, 4, 1)])
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from glassnet import layout
from glassnet.config import default_device, image_data_format
from glassnet.errors import LabelError, ShapeError

LABEL_MODES = ("int", "categorical", "binary", None)


def as_tensor(data: Any) -> torch.Tensor:
    """numpy / torch / pandas / list -> torch tensor (no copy for numpy and torch)."""
    if torch.is_tensor(data):
        return data
    if hasattr(data, "to_numpy"):
        data = data.to_numpy()
    return torch.from_numpy(np.ascontiguousarray(np.asarray(data)))


class Dataset:
    """Base of the batch pipelines: per-batch label encoding, augmentation and ``map`` steps.

    Subclasses produce raw batches (``_raw_batches``); this class turns them into
    float32 tensors on ``device`` and runs the steps added with :meth:`map` and
    :meth:`augment`, in order.
    """

    def __init__(self, label_mode: str | None = "int", num_classes: int | None = None,
                 class_names: Sequence[str] | None = None, device: Any = None):
        if label_mode not in LABEL_MODES:
            raise LabelError(f"label_mode must be one of 'int', 'categorical', 'binary' or None, not {label_mode!r}.")
        self.label_mode = label_mode
        self.class_names = list(class_names) if class_names is not None else None
        self.num_classes = num_classes or (len(self.class_names) if self.class_names else None)
        self.device = torch.device(device) if device is not None else default_device()
        self.data_format = image_data_format()
        self._steps: list[tuple[str, Any]] = []

    # ------------------------------------------------------------------ building
    def _copy(self) -> "Dataset":
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._steps = list(self._steps)
        return clone

    def map(self, fn: Callable) -> "Dataset":
        """A new dataset applying ``fn(x, y) -> (x, y)`` (or ``fn(x) -> x`` without labels) to each batch.

        >>> ds = TensorDataset(np.ones((4, 2)), batch_size=2, shuffle=False)
        >>> next(iter(ds.map(lambda x: x * 3)))[0].tolist()
        [3.0, 3.0]
        """
        clone = self._copy()
        clone._steps.append(("map", fn))
        return clone

    def augment(self, *layers) -> "Dataset":
        """A new dataset running preprocessing/augmentation layers on each batch (on the device, in training mode).

        Layers receive the internal layout (NCHW) like inside a model; ``MixUp``
        also receives and returns the labels.

        >>> from glassnet.layers.preprocessing import RandomFlip
        >>> ds = TensorDataset(np.zeros((4, 8, 8, 3), np.uint8), np.arange(4), batch_size=2)
        >>> tuple(next(iter(ds.augment(RandomFlip(seed=0))))[0].shape)
        (2, 8, 8, 3)
        """
        clone = self._copy()
        for layer in layers:
            if isinstance(layer, torch.nn.Module):
                layer.to(self.device).train()
            clone._steps.append(("layer", layer))
        return clone

    def to(self, device: Any) -> "Dataset":
        """The same dataset producing batches on ``device``."""
        clone = self._copy()
        clone.device = torch.device(device)
        for kind, step in clone._steps:
            if kind == "layer" and isinstance(step, torch.nn.Module):
                step.to(clone.device)
        return clone

    # ------------------------------------------------------------------ batches
    def _raw_batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def __iter__(self) -> Iterator:
        for x, y in self._raw_batches():
            x, y = self._finish(x, y)
            yield x if y is None else (x, y)

    def _encode_labels(self, y: torch.Tensor | None) -> torch.Tensor | None:
        if y is None:
            return None
        if self.label_mode is None:  # regression targets (or labels passed through as they are)
            return y.float() if y.dtype == torch.float64 else y
        if self.label_mode == "int":
            return y.long()
        if self.label_mode == "binary":
            return y.float().view(-1, 1)
        if y.dim() == 2 and y.is_floating_point():  # already one-hot
            return y
        return F.one_hot(y.long(), self.num_classes).float()

    def _finish(self, x: torch.Tensor, y: torch.Tensor | None):
        if torch.is_tensor(x):  # text batches stay NumPy strings until a map step (TextVectorization) encodes them
            x = x.to(self.device, non_blocking=True)
            if x.dim() == 4 and self.data_format == "channels_last" and any(k == "layer" for k, _ in self._steps):
                x = x.movedim(-1, 1).contiguous().movedim(1, -1)  # NCHW memory (on the uint8 bytes): faster layers
            if x.dtype not in (torch.float32, torch.float16, torch.bfloat16):
                x = x.float()  # uint8 and float64 -> float32, per batch
        y = self._encode_labels(y.to(self.device, non_blocking=True) if y is not None else None)
        for kind, step in self._steps:
            if kind == "map":
                out = step(x) if y is None else step(x, y)
                x, y = (out, y) if y is None else out
            elif getattr(step, "uses_labels", False):
                inner, y = step(layout.to_internal(x, self.data_format), y)
                x = layout.to_user(inner, self.data_format)
            else:
                x = layout.to_user(step(layout.to_internal(x, self.data_format)), self.data_format)
        return x, y

    # ------------------------------------------------------------------ whole data
    def as_numpy(self) -> tuple[np.ndarray, np.ndarray | None]:
        """All batches of one epoch concatenated: ``(x, y)`` numpy arrays (for small data).

        >>> x, y = TensorDataset(np.ones((5, 2)), np.arange(5), shuffle=False, batch_size=2).as_numpy()
        >>> x.shape, y.tolist()
        ((5, 2), [0, 1, 2, 3, 4])
        """
        xs, ys = [], []
        for batch in self:
            x, y = batch if isinstance(batch, tuple) else (batch, None)
            xs.append(x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x))  # text: strings
            if y is not None:
                ys.append(y.detach().cpu().numpy())
        return np.concatenate(xs), (np.concatenate(ys) if ys else None)


class TensorDataset(Dataset):
    """In-memory data as one tensor on the device, batched by per-epoch ``randperm`` slices.

    ``x``: images (N, H, W, C) or features (N, F) — numpy, torch or pandas; uint8
    stays uint8 on the device and becomes float32 per batch. ``y``: labels or
    regression targets (or None).

    >>> ds = TensorDataset(np.random.rand(100, 3).astype('float32'), np.arange(100) % 3,
    ...                    batch_size=32, seed=0)
    >>> len(ds)
    4
    """

    def __init__(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                 label_mode: str | None = "int", num_classes: int | None = None,
                 class_names: Sequence[str] | None = None, device: Any = None, drop_remainder: bool = False):
        if y is None:
            label_mode = None
        super().__init__(label_mode, num_classes, class_names, device)
        self.x = as_tensor(x).to(self.device)
        self.y = as_tensor(y).to(self.device) if y is not None else None
        if self.y is not None and len(self.y) != len(self.x):
            raise ShapeError(f"x has {len(self.x)} samples but y has {len(self.y)}; give one label per sample.")
        if self.label_mode == "categorical" and self.num_classes is None and not self.y.is_floating_point():
            self.num_classes = int(self.y.max().item()) + 1
        self.batch_size, self.shuffle, self.drop_remainder = int(batch_size), shuffle, drop_remainder
        self.seed = seed
        self._generator = torch.Generator(device="cpu")
        self._generator.manual_seed(seed if seed is not None else int(torch.randint(0, 2**31 - 1, ()).item()))

    def to(self, device: Any) -> "TensorDataset":
        clone = super().to(device)
        clone.x, clone.y = clone.x.to(clone.device), (clone.y.to(clone.device) if clone.y is not None else None)
        return clone

    def __len__(self) -> int:
        n = len(self.x)
        return n // self.batch_size if self.drop_remainder else math.ceil(n / self.batch_size)

    def _raw_batches(self):
        n = len(self.x)
        order = torch.randperm(n, generator=self._generator).to(self.device) if self.shuffle else None
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min(n, (b + 1) * self.batch_size)
            if order is None:
                yield self.x[lo:hi], (self.y[lo:hi] if self.y is not None else None)
            else:
                index = order[lo:hi]
                yield self.x.index_select(0, index), (self.y.index_select(0, index) if self.y is not None else None)

    def __repr__(self) -> str:
        return (f"TensorDataset({len(self.x)} samples of shape {tuple(self.x.shape[1:])} {self.x.dtype}, "
                f"{len(self)} batches of {self.batch_size}, label_mode={self.label_mode!r}, device={self.device})")


class StreamingDataset(Dataset):
    """Data larger than memory: batches from a ``torch.utils.data.DataLoader`` (workers, pinned memory).

    ``loader`` yields ``(x_uint8, y)`` batches in the user's layout; each batch
    is moved to the device, converted and augmented like :class:`TensorDataset`'s.
    """

    def __init__(self, loader: torch.utils.data.DataLoader, label_mode: str | None = "int",
                 num_classes: int | None = None, class_names: Sequence[str] | None = None, device: Any = None):
        super().__init__(label_mode, num_classes, class_names, device)
        self.loader = loader

    def __len__(self) -> int:
        return len(self.loader)

    def _raw_batches(self):
        for batch in self.loader:
            if isinstance(batch, (tuple, list)):
                yield batch[0], (batch[1] if len(batch) > 1 else None)
            else:
                yield batch, None

    def __repr__(self) -> str:
        return f"StreamingDataset({len(self)} batches, label_mode={self.label_mode!r}, device={self.device})"
