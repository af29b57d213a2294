"""Where dataset files live, how they are checked, and how they are downloaded.

A dataset's own distribution files (MNIST's four IDX ``.gz`` files, CIFAR's
tarball...) are looked for in the data directory: ``GLASSNET_DATA``, default
``~/.cache/glassnet/datasets``, one sub-folder per dataset. A file that is
present is verified against its published checksum; a missing one is
downloaded from the dataset's official location into a temporary file that is
renamed into place only once its size and checksum are right, so nothing
half-written is ever left behind. Derived files (decompressed arrays) go to the
cache directory: ``GLASSNET_CACHE``, default ``~/.cache/glassnet/cache``.

>>> spec = RemoteFile("train-labels-idx1-ubyte.gz", ("https://example.org/",),
...                   md5="d53e105ee54ea40749a09fcbcd1e9432")
>>> spec.urls()[0]
'https://example.org/train-labels-idx1-ubyte.gz'
"""

from __future__ import annotations

import hashlib
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from glassnet.errors import DataFileError
from glassnet.io import atomic_path

_CHUNK = 1 << 20
_verified: dict[tuple, str] = {}  # (path, size, mtime_ns, algo) -> digest, so a file is hashed once per process


@dataclass(frozen=True)
class RemoteFile:
    """One distribution file of a dataset: its name, mirrors and published checksum.

    ``mirrors`` are base URLs (ending in '/') tried in order; ``md5`` or ``sha256``
    is the official checksum; ``size`` (bytes), when known, tells a truncated
    file from a corrupt one.

    >>> RemoteFile("a.gz", ("http://127.0.0.1:8000/",), md5="0" * 32).name
    'a.gz'
    """

    name: str
    mirrors: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def urls(self) -> list[str]:
        """Full URLs of this file, one per mirror."""
        return [m if m.endswith(self.name) else m.rstrip("/") + "/" + self.name for m in self.mirrors]

    def checksum(self) -> tuple[str, str]:
        """(algorithm, expected hex digest)."""
        if self.sha256:
            return "sha256", self.sha256.lower()
        if self.md5:
            return "md5", self.md5.lower()
        raise ValueError(f"RemoteFile '{self.name}' has no checksum.")


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder holding dataset files: ``override``, else ``$GLASSNET_DATA``, else ``~/.cache/glassnet/datasets``.

    >>> isinstance(data_dir('/tmp/somewhere'), Path)
    True
    """
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get("GLASSNET_DATA")
    if env:  # a relative folder is taken from the working directory, and reported as an absolute path
        return Path(env).expanduser().resolve()
    return Path.home() / ".cache" / "glassnet" / "datasets"


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The folder for derived files (decompressed arrays): ``$GLASSNET_CACHE`` or ``~/.cache/glassnet/cache``.

    >>> cache_dir('/tmp/c').name
    'c'
    """
    if override is not None:
        return Path(override).expanduser()
    env = os.environ.get("GLASSNET_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "glassnet" / "cache"


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks (memoised per process by size and mtime).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / 'x'; _ = p.write_bytes(b'abc')
    >>> file_digest(p, 'md5')
    '900150983cd24fb0d6963f7d28e17f72'
    """
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, algorithm)
    if key not in _verified:
        h = hashlib.new(algorithm)
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        if time.time() - stat.st_mtime > 2:  # a file written just now may change again within one mtime tick
            _verified[key] = h.hexdigest()
        return h.hexdigest()
    return _verified[key]


def verify(path: Path, spec: RemoteFile) -> None:
    """Raise :class:`DataFileError` naming ``path`` if its size or checksum is not the published one."""
    size = path.stat().st_size
    if spec.size is not None and size < spec.size:
        raise DataFileError(
            f"{path} is truncated: {size:,} bytes instead of {spec.size:,}. Delete it so glassnet downloads it "
            f"again, or replace it with a complete copy from {spec.urls()[0]}.")
    algorithm, expected = spec.checksum()
    actual = file_digest(path, algorithm)
    if actual != expected:
        what = "truncated or corrupt" if spec.size is None else "corrupt"
        raise DataFileError(
            f"{path} is {what}: its {algorithm} is {actual}, the published one is {expected}. Delete it so "
            f"glassnet downloads it again, or replace it with the official file from {spec.urls()[0]}.")


def locate(subdir: str, spec: RemoteFile, root: str | os.PathLike | None = None) -> Path | None:
    """The verified path of ``spec`` in ``<root>/<subdir>/`` (or directly in ``root``), or None if absent."""
    base = data_dir(root)
    for candidate in (base / subdir / spec.name, base / spec.name):
        if candidate.is_file():
            verify(candidate, spec)
            return candidate
    return None


def fetch(subdir: str, spec: RemoteFile, root: str | os.PathLike | None = None, download: bool = True,
          progress: bool = True) -> Path:
    """Path of a verified dataset file, downloading it from its mirrors if absent.

    Looks in ``<data_dir>/<subdir>/<name>``; a present file with a wrong checksum
    raises :class:`DataFileError` naming it. A download goes to a temporary file
    in the same folder, renamed into place only after its checksum matches.

    >>> fetch('mnist', RemoteFile('nope.gz', ('http://127.0.0.1:9/',), md5='0' * 32),
    ...       root='/nonexistent', download=False)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    glassnet.errors.DataFileError: Dataset file nope.gz is missing...
    """
    found = locate(subdir, spec, root)
    if found is not None:
        return found
    target = data_dir(root) / subdir / spec.name
    if not download:
        raise DataFileError(_missing_message(spec, target, "downloads are turned off (download=False)"))
    errors = []
    for url in spec.urls():
        try:
            return download_file(url, target, spec, progress=progress)
        except DataFileError as err:
            errors.append(str(err))
        except (urllib.error.URLError, OSError, TimeoutError, ValueError) as err:
            errors.append(f"{url}: {getattr(err, 'reason', err)}")
    raise DataFileError(_missing_message(spec, target, "the download failed:\n  " + "\n  ".join(errors)))


def _missing_message(spec: RemoteFile, target: Path, why: str) -> str:
    algorithm, expected = spec.checksum()
    return (f"Dataset file {spec.name} is missing and {why}.\nPut the official file at {target} "
            f"(from {spec.urls()[0]}, {algorithm} {expected}), or set GLASSNET_DATA to a folder holding "
            f"{target.parent.name}/{spec.name}.")


def download_file(url: str, target: Path, spec: RemoteFile, progress: bool = True, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``target`` atomically, checking length and checksum; returns ``target``.

    Bytes go to a hidden temporary file next to ``target``; it is renamed into
    place only if complete and matching ``spec``'s checksum, and deleted otherwise.
    """
    algorithm, expected = spec.checksum()
    with atomic_path(target) as tmp:
        digest = hashlib.new(algorithm)
        received = 0
        with open(tmp, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else spec.size
            with _progress_bar(progress, spec.name, total) as advance:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except Exception as err:  # http.client.IncompleteRead, connection reset...
                        raise DataFileError(f"{url}: connection dropped after {received:,} bytes ({err!r}).") from err
                    if not chunk:
                        break
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    advance(len(chunk))
        if total is not None and received != total:
            raise DataFileError(f"{url}: download incomplete, got {received:,} of {total:,} bytes.")
        if spec.size is not None and received != spec.size:
            raise DataFileError(f"{url}: served a truncated file, {received:,} bytes instead of {spec.size:,}.")
        if digest.hexdigest() != expected:
            raise DataFileError(f"{url}: downloaded file is corrupt ({algorithm} {digest.hexdigest()}, "
                                f"expected {expected}).")
    return target


class _progress_bar:
    """A rich progress bar (or nothing) used as ``with _progress_bar(...) as advance: advance(n)``."""

    def __init__(self, enabled: bool, name: str, total: int | None):
        self.enabled, self.name, self.total = enabled, name, total
        self._progress = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                                   TransferSpeedColumn)
        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                                  TransferSpeedColumn(), TimeRemainingColumn(), transient=True)
        self._progress.start()
        task = self._progress.add_task(f"Downloading {self.name}", total=self.total)
        return lambda n: self._progress.advance(task, n)

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False


def atomic_write_bytes(path: Path, writer) -> Path:
    """Create ``path`` by calling ``writer(file_object)`` on a temporary file renamed into place.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / 'out.bin'
    >>> atomic_write_bytes(p, lambda f: f.write(b'hi')).read_bytes()
    b'hi'
    """
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        writer(f)
    return path


def fetch_all(subdir: str, specs: Iterable[RemoteFile], root: str | os.PathLike | None = None,
              download: bool = True) -> dict[str, Path]:
    """:func:`fetch` several files; returns ``{name: path}``. Missing ones are all named in one error."""
    specs = list(specs)
    paths, missing = {}, []
    for spec in specs:
        try:
            paths[spec.name] = fetch(subdir, spec, root, download=download)
        except DataFileError as err:
            if spec.name in str(err) and "is missing" in str(err):
                missing.append(str(err))
            else:
                raise
    if missing:
        folder = data_dir(root) / subdir
        names = ", ".join(s.name for s in specs)
        raise DataFileError(f"Could not get the {subdir} files. It needs {names} in {folder}.\n" + "\n".join(missing))
    return paths
