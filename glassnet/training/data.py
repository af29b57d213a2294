"""Turning what users pass to fit/evaluate/predict into batches on the device.

In-memory data (numpy arrays, torch tensors, lists/dicts of them for several
inputs) is moved to the device ONCE; each epoch draws one ``randperm`` and
batches are index slices of it — no DataLoader, no per-sample Python. Anything
else iterable (a DataLoader, a glassnet dataset, a generator, a torch Dataset)
is iterated as given, each batch moved to the device.

>>> import numpy as np
>>> data = ArrayData(np.zeros((10, 3)), np.arange(10), batch_size=4)
>>> [len(b[0]) for b in data.batches(epoch=0, shuffle=False)]
[4, 4, 2]
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch
from torch.utils import _pytree as pytree

from glassnet.errors import InvalidArgumentError, LabelError, ShapeError


def to_tensor(value: Any, device: torch.device | str = "cpu") -> torch.Tensor:
    """numpy / list / tensor -> tensor on ``device`` (float64 becomes float32, as in Keras).

    >>> to_tensor(np.ones(2)).dtype
    torch.float32
    """
    if not torch.is_tensor(value):
        array = np.asarray(value)
        if array.dtype == object:
            raise ShapeError("Could not turn the data into one array: its samples have different shapes "
                             "or types. Pad/crop them to one shape first.")
        if array.dtype.kind in "USV":
            raise InvalidArgumentError(f"The data holds {array.dtype} values (text or raw bytes), not numbers. "
                                       "Encode them first (e.g. a StringLookup/TextVectorization layer, or "
                                       "np.unique(..., return_inverse=True) for labels).")
        value = torch.from_numpy(np.ascontiguousarray(array))
    if value.is_complex():
        raise InvalidArgumentError(f"The data is complex ({value.dtype}); glassnet layers work on real numbers. "
                                   "Pass np.abs(x), or the real and imaginary parts as two channels: "
                                   "np.stack([x.real, x.imag], axis=-1).")
    if value.dtype in (torch.float64, torch.float16):
        value = value.float()  # float32 at the boundary, as in Keras (float16 would fail in float32 layers)
    return value.to(device)


def is_array_like(value: Any) -> bool:
    """True for numpy arrays, tensors, and lists/tuples/dicts of them (multi-input)."""
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return True
    if isinstance(value, dict):
        return all(is_array_like(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return bool(value) and all(isinstance(v, (np.ndarray, torch.Tensor)) for v in value)
    return False


def _length(tree: Any) -> int | None:
    lengths = {t.shape[0] for t in pytree.tree_leaves(tree) if torch.is_tensor(t)}
    if len(lengths) > 1:
        raise ShapeError(f"The arrays have different numbers of samples: {sorted(lengths)}.")
    return lengths.pop() if lengths else None


class ArrayData:
    """In-memory data on the device, batched by slicing a per-epoch permutation."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int = 32,
                 device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.x = pytree.tree_map(lambda v: to_tensor(v, self.device), _structure(x))
        self.y = pytree.tree_map(lambda v: to_tensor(v, self.device), _structure(y)) if y is not None else None
        self.sample_weight = to_tensor(sample_weight, self.device).float() if sample_weight is not None else None
        self.batch_size = int(batch_size)
        nx, ny = _length(self.x), _length(self.y)
        if ny is not None and nx != ny:
            raise ShapeError(f"x has {nx} samples but y has {ny}: they must have the same length "
                             "(one label per sample).")
        if self.sample_weight is not None and self.sample_weight.shape[0] != nx:
            raise ShapeError(f"sample_weight has {self.sample_weight.shape[0]} values for {nx} samples.")
        if nx == 0:
            raise ShapeError("x is empty: there are no samples to use.")
        self.num_samples = nx

    def __len__(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def _take(self, index) -> tuple:
        pick = (lambda t: t[index]) if isinstance(index, slice) else (lambda t: t.index_select(0, index))
        x = _map(pick, self.x)
        y = _map(pick, self.y) if self.y is not None else None
        w = pick(self.sample_weight) if self.sample_weight is not None else None
        return x, y, w

    def batches(self, epoch: int = 0, shuffle: bool = False, seed: int = 0) -> Iterator[tuple]:
        """(x, y, sample_weight) batches; shuffled with a permutation seeded by (seed, epoch)."""
        n, size = self.num_samples, self.batch_size
        if not shuffle:
            for start in range(0, n, size):
                yield self._take(slice(start, start + size))
            return
        generator = torch.Generator(device="cpu").manual_seed(seed + epoch)
        order = torch.randperm(n, generator=generator).to(self.device)
        for start in range(0, n, size):
            yield self._take(order[start:start + size])

    def example(self) -> Any:
        """The first samples' inputs (to build the model)."""
        return pytree.tree_map(lambda t: t[:2], self.x)

    def split(self, fraction: float) -> tuple["ArrayData", "ArrayData"]:
        """(train, validation): the last ``fraction`` of samples, before shuffling — as Keras does."""
        if not 0 < fraction < 1:
            raise ValueError(f"validation_split must be between 0 and 1, got {fraction}.")
        cut = int(self.num_samples * (1 - fraction))
        if cut == 0 or cut == self.num_samples:
            raise ValueError(f"validation_split={fraction} leaves an empty split of {self.num_samples} samples.")
        return self._subset(slice(0, cut)), self._subset(slice(cut, None))

    def _subset(self, index: slice) -> "ArrayData":
        part = object.__new__(ArrayData)
        part.__dict__.update(self.__dict__)
        part.x, part.y, part.sample_weight = self._take(index)
        part.num_samples = _length(part.x)
        return part


def _map(fn, tree: Any) -> Any:
    """pytree.tree_map, with a fast path for a lone tensor (taken every step)."""
    return fn(tree) if isinstance(tree, torch.Tensor) else pytree.tree_map(fn, tree)


def _structure(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


class IterableData:
    """Batches from anything iterable: DataLoaders, glassnet datasets, generators."""

    def __init__(self, source: Iterable, device: torch.device | str = "cpu", steps: int | None = None,
                 class_weight: dict[int, float] | None = None):
        self.source = source
        self.device = torch.device(device)
        self.steps = steps
        self.class_weight = class_weight
        self.label_check: Callable[[Any], None] | None = None  # set by fit: checks each batch's labels
        self._iterator: Iterator | None = None
        self._peeked: list = []
        self._batch_number = 0

    def __len__(self) -> int:
        if self.steps is not None:
            return self.steps
        try:
            return len(self.source)
        except TypeError:
            return 0  # unknown

    def _move(self, batch):
        from glassnet.training.steps import unpack
        self._batch_number += 1
        x, y, w = unpack(batch)
        if self.label_check is not None and y is not None:
            self._check_labels(y)
        if self.class_weight is not None and y is not None:
            w = _class_sample_weights(y, self.class_weight, w)
        move = lambda t: to_tensor(t, self.device) if isinstance(t, (np.ndarray, torch.Tensor)) else t  # noqa: E731
        return pytree.tree_map(move, x), pytree.tree_map(move, y), move(w) if w is not None else None

    def _check_labels(self, y) -> None:
        """The labels of one batch, checked on the host before they reach the device (where a bad
        class index would be a device assert that kills the process)."""
        try:
            host = pytree.tree_map(lambda t: to_tensor(t, "cpu") if isinstance(t, (np.ndarray, torch.Tensor)) else t, y)
            self.label_check(host)
        except (LabelError, InvalidArgumentError, ShapeError) as err:
            raise type(err)(f"Batch {self._batch_number} of the data: {err}") from None

    def _fresh_iterator(self) -> Iterator:
        if self._iterator is None or self.steps is None:
            self._iterator = iter(self.source)
        return self._iterator

    def batches(self, epoch: int = 0, shuffle: bool = False, seed: int = 0) -> Iterator[tuple]:
        pending, self._peeked = self._peeked, []
        if not pending:
            self._batch_number = 0
        iterator = self._fresh_iterator() if not pending else self._iterator
        produced = 0
        for batch in pending:  # already on the device
            produced += 1
            yield batch
        while self.steps is None or produced < self.steps:
            try:
                batch = next(iterator)
            except StopIteration:
                if produced == 0:
                    raise ValueError("The data source produced no batches. A Python generator is used up "
                                     "after one pass: pass steps_per_epoch=, or a re-iterable dataset/DataLoader.")
                return
            produced += 1
            yield self._move(batch)

    def _first(self) -> tuple:
        """The first batch, moved to the device once and kept, so no sample is lost."""
        if not self._peeked:
            self._iterator = iter(self.source)
            self._batch_number = 0
            try:
                first = next(self._iterator)
            except StopIteration:
                raise ValueError("The data source produced no batches: it is empty (or a generator already "
                                 "used up).") from None
            self._peeked = [self._move(first)]
        return self._peeked[0]

    def example(self) -> Any:
        """Inputs of the first batch."""
        return self._first()[0]

    def first_labels(self) -> Any:
        """Labels of the first batch."""
        return self._first()[1]


def make_data(x, y=None, sample_weight=None, batch_size: int | None = None, device="cpu",
              steps: int | None = None, class_weight: dict | None = None):
    """ArrayData for arrays, IterableData for everything else (and class weights as sample weights).

    >>> make_data(np.zeros((4, 2)), np.zeros(4), batch_size=0)
    Traceback (most recent call last):
    ...
    glassnet.errors.InvalidArgumentError: batch_size must be a whole number of samples >= 1, got 0.
    """
    if x is None:
        raise ValueError("No data given: pass x (and y), or a dataset yielding (x, y) batches.")
    check_count("batch_size", batch_size, "samples")
    check_count("steps", steps, "batches")
    _refuse_nested_lists(x, "x")
    refuse_tensorflow(x, "fit/evaluate/predict")
    class_weight = check_class_weight(class_weight)
    if is_array_like(x):
        if class_weight is not None and y is not None:
            sample_weight = _class_sample_weights(y, class_weight, sample_weight)
        return ArrayData(x, y, sample_weight, batch_size or 32, device)
    if y is not None:
        raise ValueError("y must not be given when x is a dataset/DataLoader/generator: it yields (x, y).")
    if isinstance(x, torch.utils.data.Dataset) and not isinstance(x, torch.utils.data.IterableDataset) \
            and hasattr(x, "__getitem__") and not hasattr(x, "batches"):
        x = torch.utils.data.DataLoader(x, batch_size=batch_size or 32, shuffle=True)
    return IterableData(x, device, steps, class_weight)


def check_count(name: str, value: Any, unit: str) -> None:
    """``value`` must be None or a whole number >= 1 (numpy integers count; bools and 2.5 do not).

    >>> check_count('batch_size', np.int64(8), 'samples')
    """
    if value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidArgumentError(f"{name} must be a whole number of {unit} >= 1, got {value!r}.")


def _refuse_nested_lists(value: Any, name: str) -> None:
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (list, tuple, int, float, np.number)) and not isinstance(v, bool) for v in value) \
            and not all(isinstance(v, (np.ndarray, torch.Tensor)) for v in value):
        raise InvalidArgumentError(
            f"{name} is a Python list of {type(value[0]).__name__}s. glassnet takes arrays: convert it with "
            f"np.asarray({name}, dtype='float32'). (A list of arrays means several model inputs.)")


def refuse_tensorflow(value: Any, where: str) -> None:
    """Stop a TensorFlow object (a ``tf.data.Dataset``, a ``tf.Tensor``) with the glassnet way to do it.

    >>> refuse_tensorflow(np.zeros(2), "fit")  # anything else passes
    """
    module = type(value).__module__ or ""
    if module == "tensorflow" or module.startswith("tensorflow."):
        raise InvalidArgumentError(
            f"{where} got a TensorFlow {type(value).__name__}: glassnet runs on PyTorch and does not read "
            "TensorFlow objects. Use NumPy arrays (x, y), a torch.utils.data.DataLoader, or a glassnet.datasets "
            "pipeline (glassnet.datasets.image_dataset_from_directory, ...) instead of tf.data; use keras.ops / "
            "torch instead of tf ops; and loss.backward() in train_step instead of tf.GradientTape.")


def check_class_weight(class_weight: Any) -> dict[int, float] | None:
    """``class_weight`` as ``{class index: weight}``, refusing negative, fractional or non-number keys and
    negative or non-finite weights (Keras' rules), each with a clear message.

    >>> check_class_weight({0: 1, 1: 2.5})
    {0: 1.0, 1: 2.5}
    >>> check_class_weight({-1: 2.0})
    Traceback (most recent call last):
    ...
    glassnet.errors.InvalidArgumentError: class_weight key -1 is not a class index: keys must be the integer labels 0, 1, 2... of the classes.
    """
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        raise InvalidArgumentError(f"class_weight must be a dict {{class index: weight}}, got "
                                   f"{type(class_weight).__name__}.")
    checked = {}
    for key, weight in class_weight.items():
        integral = isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_))
        if not integral or key < 0:
            raise InvalidArgumentError(f"class_weight key {key!r} is not a class index: keys must be the integer "
                                       "labels 0, 1, 2... of the classes.")
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) \
                or not math.isfinite(float(weight)) or weight < 0:
            raise InvalidArgumentError(f"class_weight[{key}] = {weight!r}: a weight must be a finite number >= 0.")
        checked[int(key)] = float(weight)
    return checked


def _labels_of(y: Any) -> torch.Tensor:
    labels = to_tensor(y, "cpu")
    if labels.dim() > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(-1)
    if labels.is_floating_point() and not torch.equal(labels, labels.round()):
        raise LabelError("class_weight needs integer class labels (or one-hot rows), but the labels have "
                         "fractional values.")
    return labels.reshape(-1).long()


def _class_sample_weights(y, class_weight: dict, sample_weight) -> torch.Tensor:
    labels = _labels_of(y)
    if labels.numel() and int(labels.min()) < 0:
        raise LabelError(f"class_weight needs class labels >= 0, but a label is {int(labels.min())}.")
    size = max(max(class_weight, default=-1) + 1, int(labels.max()) + 1 if labels.numel() else 0)
    table = torch.ones(size)
    for cls, weight in class_weight.items():
        table[cls] = weight
    weights = table[labels]
    if sample_weight is not None:
        weights = weights * to_tensor(sample_weight).float().reshape(-1)
    return weights
