"""Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays, for character-level language models.

From Karpathy's char-rnn (data/tinyshakespeare/input.txt); public domain.
File: ``<GLASSNET_DATA>/text/tinyshakespeare.txt``.

>>> text = load_data()  # doctest: +SKIP
>>> text[:14]  # doctest: +SKIP
'First Citizen:'
"""

from __future__ import annotations

import os

from glassnet.datasets.files import RemoteFile
from glassnet.datasets.local_files import require

SOURCE = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
FILE = RemoteFile("tinyshakespeare.txt", (SOURCE,),
                  sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", size=1115394)


def load_data(data_dir: str | os.PathLike | None = None) -> str:
    """The whole text as one string (65 distinct characters).

    >>> len(load_data())  # doctest: +SKIP
    1115394
    """
    return require("text", FILE, SOURCE, data_dir).read_text(encoding="utf-8")


__all__ = ["load_data"]
