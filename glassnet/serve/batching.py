"""Dynamic micro-batching: requests that arrive within a few milliseconds share one forward pass.

Requests wait in a bounded queue (a full queue refuses new work with :class:`QueueFullError`, which the
server answers with 503, instead of growing without limit). One worker takes the first request, gathers
whatever else arrives within ``max_wait_ms`` up to ``max_batch_size`` samples, runs the model once in a
worker thread (the event loop keeps serving HTTP meanwhile) and hands each request its rows back.

Each batch is padded (with zero rows, whose outputs are dropped) to the next power of two, as TF Serving's
``allowed_batch_sizes`` do, so the model only ever sees a handful of batch shapes. Every new shape makes
PyTorch's CPU kernels (oneDNN) build and cache new primitives that are never freed: MobileNet α0.25 at 224×224
batches of random sizes 1-32 grew a process to 911 MB where a fixed size stayed at 527 MB
(``benchmarks/serve_load.py``: a server without padding grew 776 → 1,090 MB over 40,000 uploads).

>>> import asyncio, numpy as np
>>> async def demo():
...     batcher = MicroBatcher(lambda x: x * 2, max_batch_size=8, max_wait_ms=5)
...     await batcher.start()
...     rows = await asyncio.gather(*(batcher.submit(np.full((1, 2), i, 'float32')) for i in range(3)))
...     await batcher.stop()
...     return [r.tolist() for r in rows], batcher.stats()['batches']
>>> asyncio.run(demo())
([[[0.0, 0.0]], [[2.0, 2.0]], [[4.0, 4.0]]], 1)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np


def padded_size(rows: int) -> int:
    """The batch size a batch of ``rows`` is padded to: the next power of two.

    >>> [padded_size(n) for n in (1, 2, 3, 5, 32, 33)]
    [1, 2, 4, 8, 32, 64]
    """
    return 1 << max(0, int(rows) - 1).bit_length()


def pad_rows(batch: np.ndarray) -> np.ndarray:
    """``batch`` with zero rows appended up to :func:`padded_size` (the batch itself when it already fits).

    >>> pad_rows(np.ones((3, 2))).tolist()
    [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
    """
    missing = padded_size(len(batch)) - len(batch)
    if not missing:
        return batch
    return np.concatenate([batch, np.zeros((missing, *batch.shape[1:]), dtype=batch.dtype)])


class QueueFullError(RuntimeError):
    """The request queue is full: the server is overloaded (answer 503 and let the client retry)."""


@dataclass
class _Job:
    batch: np.ndarray
    future: asyncio.Future


class MicroBatcher:
    """Batch concurrent ``submit(batch)`` calls into single ``predict`` calls (see module docstring).

    ``enabled=False`` runs every request on its own (same queue and worker), for comparison.
    ``pad=False`` hands the model batches of any size (see the module doc for why they are padded).
    """

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], max_batch_size: int = 32,
                 max_wait_ms: float = 5.0, max_queue: int = 256, enabled: bool = True, pad: bool = True):
        self.predict, self.pad = predict, pad
        self.max_batch_size, self.max_wait = max(1, int(max_batch_size)), max(0.0, max_wait_ms) / 1000
        self.max_queue, self.enabled = max(1, int(max_queue)), enabled
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._carry: _Job | None = None
        self._batches = self._samples = self._refused = 0

    async def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.max_queue)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glassnet-inference")
        self._worker = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._worker = self._executor = None

    async def submit(self, batch: np.ndarray) -> np.ndarray:
        """The model's output rows for ``batch`` (raises :class:`QueueFullError` when the queue is full)."""
        if self._queue is None:
            raise RuntimeError("MicroBatcher.submit before start(): call await batcher.start() first.")
        job = _Job(batch, asyncio.get_running_loop().create_future())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            self._refused += 1
            raise QueueFullError(f"the request queue is full ({self.max_queue} waiting); retry shortly") from None
        return await job.future

    async def run(self, function: Callable, *args):
        """Run ``function(*args)`` on the inference thread, between batches (e.g. a Grad-CAM pass)."""
        if self._executor is None:
            raise RuntimeError("MicroBatcher.run before start(): call await batcher.start() first.")
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._gather()
            jobs = [job for job in jobs if not job.future.done()]  # a client that left is not computed
            if not jobs:
                continue
            batch = np.concatenate([job.batch for job in jobs])
            try:
                outputs = await loop.run_in_executor(self._executor, self.predict,
                                                     pad_rows(batch) if self.pad else batch)
            except Exception as err:  # the model failed on this batch: every request in it gets the error
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(err)
                continue
            self._batches += 1
            self._samples += len(batch)
            start = 0
            for job in jobs:
                if not job.future.done():
                    job.future.set_result(outputs[start:start + len(job.batch)])
                start += len(job.batch)

    async def _gather(self) -> list[_Job]:
        """The first waiting request plus, when batching, those arriving within max_wait up to the batch size."""
        first, self._carry = self._carry or await self._queue.get(), None
        jobs, size = [first], len(first.batch)
        if not self.enabled:
            return jobs
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while size < self.max_batch_size:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
            if size + len(job.batch) > self.max_batch_size:
                self._carry = job  # it did not fit: it starts the next batch
                break
            jobs.append(job)
            size += len(job.batch)
        return jobs

    def stats(self) -> dict:
        """Batches run, samples predicted, mean batch size, requests refused, queue length."""
        return {"batches": self._batches, "samples": self._samples,
                "mean_batch_size": round(self._samples / self._batches, 2) if self._batches else 0.0,
                "refused": self._refused, "queued": self._queue.qsize() if self._queue else 0,
                "batching": self.enabled, "padded": self.pad, "max_batch_size": self.max_batch_size,
                "max_queue": self.max_queue}
