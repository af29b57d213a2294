"""Dataset files that glassnet reads from the data folder but does not download (small corpora).

They are checked like the downloadable ones (``files.locate``: the published
sha256); a missing one raises :class:`DataFileError` saying where to put it and
where it comes from.

>>> spec = files.RemoteFile('x.txt', ('https://example.org/',), sha256='0' * 64)
>>> require('text', spec, 'https://example.org/x.txt', root='/nonexistent')  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
glassnet.errors.DataFileError: Dataset file text/x.txt is missing...
"""

from __future__ import annotations

import os
from pathlib import Path

from glassnet.datasets import files
from glassnet.errors import DataFileError


def require(subdir: str, spec: files.RemoteFile, source: str, root: str | os.PathLike | None = None) -> Path:
    """The verified path of ``<data_dir>/<subdir>/<spec.name>``; raises naming the folder and the source."""
    found = files.locate(subdir, spec, root)
    if found is None:
        folder = files.data_dir(root) / subdir
        raise DataFileError(
            f"Dataset file {subdir}/{spec.name} is missing: it is not in {folder}. Get it from {source} "
            f"(sha256 {spec.sha256}), put it at {folder / spec.name}, or set GLASSNET_DATA to a folder holding "
            f"{subdir}/{spec.name}.")
    return found


__all__ = ["require"]
