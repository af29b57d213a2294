"""Data-parallel training on torch.distributed: ``fit`` unchanged inside ``torchrun``.

Start N processes with ``torchrun --nproc-per-node N train.py`` (or ``glassnet train --nproc N``);
each runs the same program. ``fit`` then:

* joins the process group torchrun describes (``nccl`` on CUDA, ``gloo`` on the CPU) if the
  program has not already called ``torch.distributed.init_process_group``;
* draws the SAME per-epoch permutation on every rank (the shuffle seed is agreed with rank 0) and
  gives each rank its contiguous share of every batch: ``batch_size`` is the GLOBAL batch;
* wraps the model in ``DistributedDataParallel`` (rank 0's weights are broadcast at the start;
  gradients are all-reduced during backward). Each rank's gradient is weighted by its share of the
  batch, so the update equals the one-process update on the whole batch, uneven last batch included.
  A custom ``train_step`` that calls sub-models itself (a GAN) gets the same weighted average from
  the optimizer's step instead;
* reduces the epoch's logs across ranks (weighted by samples seen: exact for the loss and the
  accuracies; torchmetrics-based metrics synchronise themselves), so every rank sees the same
  ``History`` and callbacks like EarlyStopping decide alike;
* when a last batch has fewer samples than there are processes, a rank left without one repeats a
  sample with gradient weight 0 (the collectives must match); that sample's loss enters its
  training logs (evaluation skips it exactly);
* lets only rank 0 print (progress bar) and run the callbacks that write files (checkpoints, CSV,
  TensorBoard).

``evaluate`` shards its batches the same way and reduces its results; ``predict`` runs on every rank
over all the data (each rank gets the full predictions). Batch-norm statistics are rank 0's
(DDP broadcasts buffers); dropout masks differ from a one-process run.

>>> current() is None   # a plain single process
True
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
from torch.utils import _pytree as pytree


@dataclass
class Group:
    """This process's place in the job: ``rank`` of ``world`` processes, and the current step's
    gradient ``share`` (local samples / global samples: the weight of this rank's gradient).

    >>> Group(rank=1, world=2).is_main
    False
    """

    rank: int
    world: int
    share: float = field(default=1.0, repr=False)

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints and writes files."""
        return self.rank == 0


def launched_by_torchrun() -> bool:
    """Whether torchrun (or another launcher) started this process as one of several.

    >>> launched_by_torchrun() == (int(os.environ.get('WORLD_SIZE', '1')) > 1)
    True
    """
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup() -> Group | None:
    """Join the process group described by torchrun's environment (once) and return this process's
    :class:`Group`; None for a single process.

    >>> setup() is None
    True
    """
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        if not launched_by_torchrun():
            return None
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return current()


def current() -> Group | None:
    """The :class:`Group` of an initialised process group of more than one process, else None.

    >>> current() is None
    True
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return None
    return Group(dist.get_rank(), dist.get_world_size())


def agree_on_seed(seed: int, group: Group | None) -> int:
    """Rank 0's ``seed`` on every rank (the shared shuffling order).

    >>> agree_on_seed(7, None)
    7
    """
    if group is None:
        return seed
    value = torch.tensor([seed], dtype=torch.int64, device=_collective_device())
    dist.broadcast(value, src=0)
    return int(value.item())


def _batch_size(batch: Any) -> int:
    leaves = [t for t in pytree.tree_leaves(batch) if torch.is_tensor(t) and t.dim() > 0]
    return int(leaves[0].shape[0]) if leaves else 0


def shard(batch: Any, group: Group | None) -> tuple[Any, int]:
    """This rank's contiguous part of a global ``batch`` (every tensor cut along its first axis) and
    the number of real samples in it; sets ``group.share``. A rank left with no sample (a last batch
    smaller than the job) gets one sample with share 0, so the collectives still match.

    >>> shard((torch.arange(5), None), None)
    ((tensor([0, 1, 2, 3, 4]), None), 5)
    >>> g = Group(rank=1, world=2); part, n = shard((torch.arange(5),), g); part[0].tolist(), n, g.share
    ([2, 3, 4], 3, 0.6)
    """
    total = _batch_size(batch)
    if group is None:
        return batch, total
    bounds = [total * r // group.world for r in range(group.world + 1)]
    start, end = bounds[group.rank], bounds[group.rank + 1]
    count = end - start
    group.share = count / total if total else 0.0
    if count == 0:
        start, end = 0, 1

    def cut(t: Any) -> Any:
        return t[start:end] if torch.is_tensor(t) and t.dim() > 0 and t.shape[0] == total else t

    return pytree.tree_map(cut, batch), count


def _collective_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def weighted_allreduce_hook(group, bucket):  # no annotations: DDP compares them to dist.GradBucket itself
    """DDP communication hook: the sum over ranks of each rank's gradient times its share of the
    batch — the gradient of the mean loss over the whole global batch."""
    tensor = bucket.buffer()
    tensor.mul_(group.share)
    future = dist.all_reduce(tensor, op=dist.ReduceOp.SUM, async_op=True).get_future()
    return future.then(lambda f: f.value()[0])


def average_gradients(parameters: list[torch.Tensor], group: Group) -> None:
    """The same weighted sum for gradients computed outside DDP (a custom ``train_step``)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads]).mul_(group.share)
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def wrap(model: torch.nn.Module, group: Group) -> torch.nn.parallel.DistributedDataParallel:
    """``model`` in DistributedDataParallel with the share-weighted gradient all-reduce."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    ids = [device.index] if device.type == "cuda" else None
    ddp = torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
    ddp.register_comm_hook(group, weighted_allreduce_hook)
    return ddp


_GRADIENT_SYNC: contextvars.ContextVar[Group | None] = contextvars.ContextVar("glassnet_gradient_sync", default=None)


@contextlib.contextmanager
def optimizers_average_gradients(group: Group | None) -> Iterator[None]:
    """While active, every glassnet optimizer's ``step`` first averages the gradients over the ranks
    (:func:`average_gradients`): the path of a custom ``train_step``.

    >>> with optimizers_average_gradients(None): pass
    """
    token = _GRADIENT_SYNC.set(group)
    try:
        yield
    finally:
        _GRADIENT_SYNC.reset(token)


def sync_gradients(parameters: list[torch.Tensor]) -> None:
    """Called by ``Optimizer.step``: the weighted average over ranks when a custom step trains in a
    distributed fit; nothing otherwise."""
    group = _GRADIENT_SYNC.get()
    if group is not None:
        average_gradients(parameters, group)


def broadcast_parameters(model: torch.nn.Module) -> None:
    """Rank 0's weights and buffers on every rank (what DDP does at construction)."""
    for tensor in [*model.parameters(), *model.buffers()]:
        dist.broadcast(tensor.data, src=0)


def reduce_logs(logs: dict[str, float], samples: int, group: Group | None) -> dict[str, float]:
    """The epoch's logs averaged over ranks, weighted by the samples each rank saw.

    >>> reduce_logs({'loss': 0.5}, 10, None)
    {'loss': 0.5}
    """
    if group is None or not logs:
        return logs
    keys = sorted(logs)
    values = torch.tensor([float(logs[k]) * samples for k in keys] + [float(samples)], dtype=torch.float64,
                          device=_collective_device())
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    weight = float(values[-1]) or 1.0
    return {k: float(values[keys.index(k)]) / weight for k in logs}


__all__ = ["Group", "setup", "current", "shard", "wrap", "reduce_logs", "agree_on_seed", "average_gradients",
           "broadcast_parameters", "launched_by_torchrun"]
