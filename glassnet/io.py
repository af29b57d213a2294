"""Atomic file writes: a save either completes or leaves the old file untouched.

Every writer goes through :func:`atomic_path`: the data goes to a temporary file
beside the target (named ``.<name>.<random>.glassnet-tmp``), which is flushed to
disk (``fsync``), renamed over the target, and the folder itself is synced so the
rename survives a power cut. An existing file keeps its permissions; a new one
gets the usual ones (``0666`` minus the umask). Temporary files left behind by a
save that crashed (older than a minute) are removed by the next save to that folder.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), 'a.txt')
>>> atomic_write_bytes(path, b'hello'); open(path, 'rb').read()
b'hello'
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Iterator

TEMP_SUFFIX = ".glassnet-tmp"
ORPHAN_AGE_S = 60.0  # a temp file older than this cannot belong to a save still running


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entries) to disk; folders that cannot be opened are skipped."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync folders
    finally:
        os.close(fd)


def remove_orphans(folder: str | os.PathLike, max_age_s: float = ORPHAN_AGE_S) -> list[Path]:
    """Delete glassnet temporary files in ``folder`` left by a crashed save (older than ``max_age_s``).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()); old = folder / ('.m.abc' + TEMP_SUFFIX); _ = old.write_bytes(b'x')
    >>> os.utime(old, (0, 0)); [p.name for p in remove_orphans(folder)]
    ['.m.abc.glassnet-tmp']
    """
    removed = []
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > max_age_s:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success sync it and rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is unchanged.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target.parent)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)  # keep an existing file's permissions
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with contextlib.suppress(OSError):  # file systems without permissions (FAT, some mounts)
            os.chmod(tmp, mode)
        _fsync(Path(tmp))
        os.replace(tmp, target)
        _fsync(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename + folder fsync)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
