"""Writing one benchmark's section of benchmarks/RESULTS.md, leaving the other sections alone.

Each benchmark owns the text between its ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``
markers; a section not yet in the file is appended. The write is atomic (temp file + rename).
"""

from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of benchmark ``name``'s section."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str, path: Path = RESULTS) -> None:
    """Replace (or append) ``section`` — which starts and ends with ``name``'s markers — in ``path``."""
    start, end = markers(name)
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text)
    os.replace(tmp, path)
