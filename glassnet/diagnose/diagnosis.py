"""``diagnosis.md``: everything the diagnose tools found about one run, in one readable file.

``glassnet train --diagnose`` writes it into the run folder beside its pictures: the
bias/variance verdict with the recipe, the Monitor's findings with the gradient-flow chart
(``gradient_flow.png``) and the learning-rate finder's sweep (``lr_find.png``). Any part may be
missing: the file says what was not measured and how to get it.

>>> import tempfile
>>> from glassnet.diagnose import bias_variance
>>> path = write_diagnosis(tempfile.mkdtemp(), verdict=bias_variance(0.01, 0.11))
>>> path.read_text().splitlines()[0]
'# Diagnosis'
>>> 'high variance' in path.read_text()
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glassnet.io import atomic_write_bytes

GRADIENT_FLOW_PNG = "gradient_flow.png"
LR_FIND_PNG = "lr_find.png"


def _verdict_section(verdict: Any) -> list[str]:
    if verdict is None:
        return ["## Bias and variance", "",
                "Not measured: it needs a dev set. Hold one out (`--validation-split 0.2`, or "
                "`glassnet.datasets.split`: 60/20/20 for small data, 98/1/1 for large).", ""]
    return ["## Bias and variance", "", verdict._repr_markdown_(), ""]


def _monitor_section(monitor: Any, folder: Path) -> list[str]:
    if monitor is None:
        return []
    monitor.plot(folder / GRADIENT_FLOW_PNG)
    return ["## Health of the network while it trained", "", monitor.to_markdown(),
            f"![Gradient flow per layer and activation histograms]({GRADIENT_FLOW_PNG})", ""]


def _lr_section(result: Any, folder: Path) -> list[str]:
    if result is None:
        return []
    result.plot(folder / LR_FIND_PNG)
    return ["## Learning-rate finder (on the initial weights)", "", result._repr_markdown_(),
            f"![Loss against learning rate]({LR_FIND_PNG})", ""]


def write_diagnosis(folder: str | Path, *, verdict: Any = None, monitor: Any = None, lr_result: Any = None,
                    title: str | None = None) -> Path:
    """Write ``diagnosis.md`` (and its PNGs) into ``folder`` from a :class:`BiasVariance` ``verdict``,
    a :class:`Monitor` and an :class:`LRFinderResult` (each optional); returns the file's path.

    >>> import tempfile
    >>> write_diagnosis(tempfile.mkdtemp(), title='mlp on digits').name
    'diagnosis.md'
    """
    folder = Path(folder)
    lines = ["# Diagnosis", ""]
    if title:
        lines += [f"Run: {title}", ""]
    lines += _verdict_section(verdict) + _monitor_section(monitor, folder) + _lr_section(lr_result, folder)
    path = folder / "diagnosis.md"
    atomic_write_bytes(path, ("\n".join(lines).rstrip() + "\n").encode())
    return path


__all__ = ["write_diagnosis", "GRADIENT_FLOW_PNG", "LR_FIND_PNG"]
