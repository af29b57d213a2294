"""How many CPU threads training uses, chosen from how busy the machine is.

PyTorch runs CPU kernels on one OpenMP thread per core, and those threads spin
while they wait for each other. On an idle machine that is the fastest choice.
On a shared course server it is the slowest: when another process takes a core,
the spinning thread burns the time slice its partner needs, and a training step
takes 1.8-3x longer than with one thread fewer (measured in
``benchmarks/thread_policy.py``: MNIST convnet step 53 ms idle, 151 ms beside one
busy process with 2 threads, 95 ms with 1). No fixed setting wins both, so
``fit`` decides at its start and again at each epoch: it measures the CPU time
other processes used (from ``/proc/stat``, minus this process's own) and trains
with ``cores - busy cores`` threads (at least 1, at most the thread count set
before ``fit``), then restores that setting when ``fit`` ends.

Only CPU training on Linux adapts. Set ``GLASSNET_THREADS`` to a number to pin
the count, or to ``torch`` to leave PyTorch's setting alone — do one or the
other when you need bit-identical results across runs (float sums split over a
different number of threads round differently).

>>> choose_threads(others=1.0, cores=2, maximum=2)
1
>>> choose_threads(others=0.2, cores=2, maximum=2)
2
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch

SWITCH = "GLASSNET_THREADS"
PROBE_SECONDS = 0.05  # the first look, before any epoch ran


def choose_threads(others: float, cores: int, maximum: int) -> int:
    """Threads for ``cores`` usable cores when other processes keep ``others`` cores busy."""
    free = cores - others
    return max(1, min(maximum, int(free + 0.3)))  # a core ~70% free is worth a thread


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU time used by every process (all cores) and by this one, at one moment."""

    busy_all: float
    busy_own: float
    wall: float

    @classmethod
    def now(cls) -> "CpuSnapshot | None":
        """The current counters, or None where /proc/stat is not there (not Linux)."""
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
        return cls(busy, time.process_time(), time.monotonic())

    def others_since(self, earlier: "CpuSnapshot") -> float:
        """Cores kept busy by other processes between ``earlier`` and this snapshot."""
        wall = self.wall - earlier.wall
        if wall <= 0:
            return 0.0
        return max(0.0, (self.busy_all - earlier.busy_all) - (self.busy_own - earlier.busy_own)) / wall


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class ThreadGovernor:
    """Sets torch's thread count for a CPU training run; see the module docstring.

    >>> with ThreadGovernor(torch.device('cuda')) as governor:  # not a CPU run: nothing changes
    ...     governor.adjust()
    >>> governor.active
    False
    """

    def __init__(self, device: torch.device):
        setting = os.environ.get(SWITCH, "auto").strip().lower()
        self.pinned = int(setting) if setting.isdigit() and int(setting) > 0 else None
        self.active = device.type == "cpu" and setting in ("auto", "") or self.pinned is not None
        self.maximum = torch.get_num_threads()
        self.cores = _usable_cores()
        self._last: CpuSnapshot | None = None

    def start(self) -> None:
        """Pick the thread count before the first epoch (a short look at the machine)."""
        if not self.active:
            return
        if self.pinned is not None:
            torch.set_num_threads(self.pinned)
            return
        self._last = CpuSnapshot.now()
        if self._last is not None:
            time.sleep(PROBE_SECONDS)
            self.adjust()

    def adjust(self) -> None:
        """Re-pick it from what other processes did since the last look (called each epoch)."""
        if not self.active or self.pinned is not None or self._last is None:
            return
        now = CpuSnapshot.now()
        if now is None:
            return
        threads = choose_threads(now.others_since(self._last), self.cores, self.maximum)
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        self._last = now

    def finish(self) -> None:
        """Put back the thread count that was set before ``fit``."""
        if self.active and torch.get_num_threads() != self.maximum:
            torch.set_num_threads(self.maximum)

    def __enter__(self) -> "ThreadGovernor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()


__all__ = ["ThreadGovernor", "choose_threads", "CpuSnapshot"]
