"""``image_dataset_from_directory``: a folder of images, one sub-folder per class, as a batch pipeline.

::

    flowers/
      daisy/  a.jpg b.png ...
      tulip/  c.jpg ...

PNG, JPEG, BMP and GIF are decoded with Pillow, converted to grayscale/RGB/RGBA
and resized. A file that cannot be decoded is reported by its path: skipped
with one warning listing all of them (``on_error='warn'``, the default) or an
error (``on_error='raise'``) — never a crash inside a worker process. Data that
fits in memory becomes one uint8 tensor on the device; larger folders stream
through a DataLoader with worker processes and pinned memory.

>>> train = image_dataset_from_directory('flowers', image_size=(64, 64), validation_split=0.2,
...                                      subset='training', seed=1)  # doctest: +SKIP
>>> train.class_names  # doctest: +SKIP
['daisy', 'tulip']
"""

from __future__ import annotations

import os
import stat
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from glassnet.datasets.pipeline import StreamingDataset, TensorDataset
from glassnet.errors import DataFileError, LabelError

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_MODES = {"grayscale": ("L", 1), "rgb": ("RGB", 3), "rgba": ("RGBA", 4)}
_RESAMPLE = {"bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST,
             "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS,
             "area": Image.Resampling.BOX}


def load_image(path: str | os.PathLike, image_size: tuple[int, int], color_mode: str = "rgb",
               interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False) -> np.ndarray:
    """Decode one image file to uint8 (H, W, C). Raises :class:`DataFileError` naming the file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / 'a.png'
    >>> Image.new('RGB', (10, 5)).save(p)
    >>> load_image(p, (4, 4)).shape
    (4, 4, 3)
    """
    mode, _ = _MODES[color_mode]
    height, width = image_size
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise DataFileError(f"{path}: not a regular file (a pipe, device or folder); it cannot be an image. "
                                "Remove it from the image folder.")
    except OSError as err:
        raise DataFileError(f"{path}: cannot read this file ({err.strerror or err}).") from err
    try:
        with Image.open(path) as img:
            if img.width * img.height > Image.MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels is over PIL's limit of "
                                                   f"{Image.MAX_IMAGE_PIXELS:,} (a decompression bomb?)")
            img.seek(0)  # first frame of a GIF
            img = img.convert(mode)
            if crop_to_aspect_ratio:
                w, h = img.size
                target = width / height
                cw, ch = (int(round(h * target)), h) if w / h > target else (w, int(round(w / target)))
                left, top = (w - cw) // 2, (h - ch) // 2
                img = img.crop((left, top, left + cw, top + ch))
            if img.size != (width, height):
                img = img.resize((width, height), _RESAMPLE[interpolation])
            array = np.array(img, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError,
            MemoryError) as err:
        raise DataFileError(f"{path}: cannot decode this image ({err}). Delete or replace the file.") from err
    return array[..., None] if array.ndim == 2 else array


def list_images(directory: Path, labels: Any = "inferred", class_names: Sequence[str] | None = None,
                follow_links: bool = False, extensions: tuple[str, ...] = EXTENSIONS,
                ) -> tuple[list[Path], np.ndarray | None, list[str] | None]:
    """Image paths, integer labels and class names of a class-per-subfolder tree (Keras' order);
    ``extensions`` picks other files (``text_dataset_from_directory`` lists '.txt')."""
    if not directory.is_dir():
        raise DataFileError(f"{directory} is not a folder. Give the folder holding one sub-folder per class.")
    if labels == "inferred":
        found = sorted(p.name for p in directory.iterdir() if p.is_dir())
        names = list(class_names) if class_names is not None else found
        unknown = set(names) - set(found)
        if unknown:
            raise LabelError(f"class_names {sorted(unknown)} have no sub-folder in {directory} (found: {found}).")
        paths, ys = [], []
        class_dirs = {os.path.realpath(directory / name) for name in found}
        for index, name in enumerate(names):
            files = _walk(directory / name, follow_links, class_dirs, extensions)
            paths += files
            ys += [index] * len(files)
        if not paths:
            raise DataFileError(f"No files ({', '.join(extensions)}) in the sub-folders of {directory}.")
        return paths, np.asarray(ys, np.int64), names
    paths = _walk(directory, follow_links, extensions=extensions)
    if labels is None:
        return paths, None, None
    ys = np.asarray(labels)
    if len(ys) != len(paths):
        raise LabelError(f"{len(ys)} labels given for {len(paths)} images in {directory} (labels must follow the "
                         "alphanumeric order of the image paths).")
    return paths, ys, list(class_names) if class_names is not None else None


def _walk(folder: Path, follow_links: bool, class_dirs: set[str] = frozenset(),
          extensions: tuple[str, ...] = EXTENSIONS) -> list[Path]:
    """Image files under ``folder``. With ``follow_links``, every real folder is visited once (a
    symlink loop ends) and a link into another class's folder is not followed (no relabelled
    images); entries that are not regular files (pipes, sockets) are left out. Both are warned about."""
    found, visited, skipped = [], set(), []
    start = os.path.realpath(folder)
    for root, dirs, files in os.walk(folder, followlinks=follow_links):
        real = os.path.realpath(root)
        if real in visited or (real in class_dirs and real != start):
            skipped.append(f"{root} (a link to a folder already read)")
            dirs[:] = []
            continue
        visited.add(real)
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(extensions):
                continue
            path = Path(root) / name
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                regular = True  # a broken link: reported by the decoder with its path
            if regular:
                found.append(path)
            else:
                skipped.append(f"{path} (not a regular file)")
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} entr{'y' if len(skipped) == 1 else 'ies'} in {folder}: "
                      + "; ".join(skipped[:10]) + (" ..." if len(skipped) > 10 else ""), stacklevel=4)
    return found


def _decode_all(paths: list[Path], kwargs: dict) -> tuple[list[np.ndarray | None], list[tuple[Path, str]]]:
    def decode(path):
        try:
            return load_image(path, **kwargs), None
        except DataFileError as err:
            return None, (path, str(err.__cause__ or err))
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(decode, paths))
    return [r for r, _ in results], [e for _, e in results if e is not None]


def _report(bad: list[tuple[Path, str]], on_error: str) -> None:
    if not bad:
        return
    listing = "\n".join(f"  {p}: {why}" for p, why in bad)
    if on_error == "raise":
        raise DataFileError(f"{len(bad)} image(s) cannot be decoded:\n{listing}\nDelete or replace them, or pass "
                            "on_error='warn' to skip them.")
    warnings.warn(f"Skipped {len(bad)} image(s) that cannot be decoded:\n{listing}", stacklevel=3)


class _ImageFiles(torch.utils.data.Dataset):
    """Decodes one file per item in a worker; a bad file becomes (None, path), dropped by the collate."""

    def __init__(self, paths, labels, kwargs):
        self.paths, self.labels, self.kwargs = paths, labels, kwargs

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        try:
            image = load_image(self.paths[i], **self.kwargs)
        except DataFileError as err:
            return None, (str(self.paths[i]), str(err))
        return torch.from_numpy(image), (-1 if self.labels is None else self.labels[i])


class _Collate:
    """Stack decoded images; undecodable ones are left out and returned by path, reported in the main process."""

    def __init__(self, has_labels: bool):
        self.has_labels = has_labels

    def __call__(self, items):
        good = [(x, y) for x, y in items if x is not None]
        bad = [y for x, y in items if x is None]
        xs = torch.stack([x for x, _ in good]) if good else torch.empty(0, dtype=torch.uint8)
        ys = torch.as_tensor(np.asarray([y for _, y in good])) if self.has_labels else None
        return xs, ys, bad


class _FolderStream(StreamingDataset):
    """A StreamingDataset whose batches carry the paths of undecodable files, reported here by path."""

    on_error = "warn"

    def _raw_batches(self):
        for xs, ys, bad in self.loader:
            if bad:
                _report([(Path(p), why) for p, why in bad], self.on_error)
            if len(xs):
                yield xs, ys


def _fits_in_memory(n: int, image_size, channels: int) -> bool:
    need = n * image_size[0] * image_size[1] * channels
    try:
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemAvailable"))
    except (OSError, StopIteration):
        available = 8 << 30
    return need < available // 4


def image_dataset_from_directory(directory: str | os.PathLike, labels: Any = "inferred", label_mode: str | None = "int",
                                 class_names: Sequence[str] | None = None, color_mode: str = "rgb",
                                 batch_size: int = 32, image_size: tuple[int, int] = (256, 256), shuffle: bool = True,
                                 seed: int | None = None, validation_split: float | None = None,
                                 subset: str | None = None, interpolation: str = "bilinear",
                                 follow_links: bool = False, crop_to_aspect_ratio: bool = False,
                                 on_error: str = "warn", in_memory: bool | None = None, num_workers: int = 2,
                                 device: Any = None):
    """Keras' ``image_dataset_from_directory``: a :class:`~glassnet.datasets.pipeline.Dataset` of
    ``(images, labels)`` batches, images float32 (N, H, W, C) in [0, 255].

    ``validation_split`` + ``subset`` ('training', 'validation' or 'both')
    split the files reproducibly (``seed``, default 0). ``on_error``: 'warn'
    skips undecodable files with a warning listing their paths, 'raise' fails.
    ``in_memory``: None decides by size (one tensor on the device when it fits
    in a quarter of the free memory), False streams from disk with
    ``num_workers`` worker processes.

    >>> ds = image_dataset_from_directory('digits_png', color_mode='grayscale', image_size=(28, 28))  # doctest: +SKIP
    >>> x, y = next(iter(ds))  # doctest: +SKIP
    """
    if color_mode not in _MODES:
        raise ValueError(f"color_mode must be 'grayscale', 'rgb' or 'rgba', not {color_mode!r}.")
    if on_error not in ("warn", "raise"):
        raise ValueError(f"on_error must be 'warn' or 'raise', not {on_error!r}.")
    if label_mode == "binary" and class_names is not None and len(class_names) != 2:
        raise LabelError("label_mode='binary' needs exactly 2 classes.")
    if subset is not None and not validation_split:
        raise ValueError("subset= needs validation_split= (e.g. validation_split=0.2, subset='training').")
    directory = Path(directory)
    paths, ys, names = list_images(directory, labels, class_names, follow_links)
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise LabelError(f"label_mode='binary' needs exactly 2 classes; {directory} has {len(names)}: {names}.")
    if labels is None:
        label_mode = None
    kwargs = dict(image_size=tuple(image_size), color_mode=color_mode, interpolation=interpolation,
                  crop_to_aspect_ratio=crop_to_aspect_ratio)
    seed = 0 if seed is None else seed
    groups = {"all": np.arange(len(paths))}
    if validation_split:
        order = np.random.default_rng(seed).permutation(len(paths))
        n_val = int(validation_split * len(paths))
        groups = {"training": order[:len(paths) - n_val], "validation": order[len(paths) - n_val:]}
    wanted = ["training", "validation"] if subset == "both" else [subset or "all"] if validation_split else ["all"]
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"subset must be 'training', 'validation' or 'both', not {subset!r}.")
    channels = _MODES[color_mode][1]
    memory = in_memory if in_memory is not None else _fits_in_memory(len(paths), image_size, channels)
    made = []
    for key in wanted:
        if key == "all" and validation_split and subset is None:
            key = "training"
        index = groups.get(key, groups.get("all"))
        sub_paths = [paths[i] for i in index]
        sub_y = ys[index] if ys is not None else None
        common = dict(label_mode=label_mode, num_classes=len(names) if names else None, class_names=names,
                      device=device)
        if memory:
            images, bad = _decode_all(sub_paths, kwargs)
            _report(bad, on_error)
            keep = [i for i, im in enumerate(images) if im is not None]
            if not keep:
                raise DataFileError(f"None of the {len(sub_paths)} images in {directory} could be decoded.")
            x = np.stack([images[i] for i in keep])
            y = sub_y[keep] if sub_y is not None else None
            ds = TensorDataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, **common)
        else:
            loader = torch.utils.data.DataLoader(
                _ImageFiles(sub_paths, sub_y, kwargs), batch_size=batch_size, shuffle=shuffle,
                num_workers=num_workers, pin_memory=torch.cuda.is_available(), collate_fn=_Collate(sub_y is not None),
                persistent_workers=num_workers > 0, generator=torch.Generator().manual_seed(seed))
            ds = _FolderStream(loader, **common)
            ds.on_error = on_error
        ds.file_paths = [str(p) for p in sub_paths]
        made.append(ds)
    return made if subset == "both" else made[0]
