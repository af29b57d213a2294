"""fit under torchrun (gloo, 2 CPU processes) equals fit in one process with the same global batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from glassnet.training import distributed

SCRIPT = Path(__file__).with_name("distributed_support.py")
pytestmark = pytest.mark.xdist_group("distributed")  # two processes of their own: not beside another test


def _run(out: Path, mode: str, nproc: int, timeout: int = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLASSNET_THREADS": "1", "PYTHONPATH": str(SCRIPT.parent)}
    if nproc == 1:
        command = [sys.executable, str(SCRIPT), str(out), mode]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc),
                   "--standalone", str(SCRIPT), str(out), mode]
        env.pop("WORLD_SIZE", None)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def _load(folder: Path, mode: str, rank: int = 0) -> dict:
    return json.loads((folder / f"{mode}-rank{rank}.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    for folder, nproc in ((one, 1), (two, 2)):
        result = _run(folder, "fit", nproc)
        assert result.returncode == 0, result.stdout + result.stderr
    return one, two


def test_two_processes_train_exactly_like_one_with_the_same_global_batch(runs):
    one, two = runs
    single, rank0, rank1 = _load(one, "fit"), _load(two, "fit", 0), _load(two, "fit", 1)
    assert rank0["world"] == 2 and single["world"] == 1
    for a, b in zip(single["weights"], rank0["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert rank0["weights"] == rank1["weights"]  # the replicas never drift apart
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(single["history"][key], rank0["history"][key], rtol=1e-5, atol=1e-6)
    assert rank0["history"] == rank1["history"]  # logs reduced across ranks: every rank sees the same
    for key in ("loss", "accuracy"):
        assert single["evaluate"][key] == pytest.approx(rank0["evaluate"][key], rel=1e-5)


def test_a_checkpoint_written_by_rank_0_resumes_in_one_process(runs):
    _, two = runs
    assert (two / "ckpt.glassnet").is_file()
    result = _run(two, "resume", 1)
    assert result.returncode == 0, result.stdout + result.stderr
    resumed = _load(two, "resume")
    assert len(resumed["history"]["loss"]) == 1 and np.isfinite(resumed["history"]["loss"][0])


def test_a_custom_train_step_gets_its_gradients_averaged_by_the_optimizer(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    for folder, nproc in ((one, 1), (two, 2)):
        result = _run(folder, "custom", nproc)
        assert result.returncode == 0, result.stdout + result.stderr
    for a, b in zip(_load(one, "custom")["weights"], _load(two, "custom", 1)["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_rank_that_raises_stops_the_whole_job_with_its_message(tmp_path):
    result = _run(tmp_path, "raise", 2, timeout=120)  # a hang would raise TimeoutExpired
    assert result.returncode != 0
    assert "rank 1 gave up in epoch 2" in result.stdout + result.stderr
    assert not (tmp_path / "raise-rank0.json").exists()


def test_shards_cover_each_batch_once_and_their_shares_sum_to_one():
    batch = (torch.arange(7), torch.arange(7) * 10, None)
    parts, shares = [], []
    for rank in range(3):
        group = distributed.Group(rank, 3)
        (x, y, w), count = distributed.shard(batch, group)
        assert w is None and torch.equal(y, x * 10) and count == len(x)
        parts.append(x)
        shares.append(group.share)
    assert torch.cat(parts).tolist() == list(range(7)) and sum(shares) == pytest.approx(1.0)


def test_a_rank_left_without_samples_gets_one_with_no_weight():
    group = distributed.Group(0, 2)  # of one sample, rank 0 gets none (rank 1 takes [0:1])
    (x,), count = distributed.shard((torch.arange(1),), group)
    assert count == 0 and group.share == 0.0 and len(x) == 1


def test_glassnet_train_nproc_2_launches_torchrun_and_rank_0_writes_one_run(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "120"}
    result = subprocess.run([Path(sys.executable).parent / "glassnet", "train", "--nproc", "2", "--epochs", "2",
                             "--verbose", "0"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()  # one run folder: the other rank wrote nothing here
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["test_accuracy"] > 0.5
    assert result.stdout.count("Test accuracy:") == 1  # only rank 0 prints
