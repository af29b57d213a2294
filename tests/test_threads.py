"""fit trains with fewer CPU threads while other processes keep cores busy, and restores the setting."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from glassnet.layers import Dense, Input
from glassnet.models import Sequential
from glassnet.threads import CpuSnapshot, ThreadGovernor, choose_threads


@pytest.mark.parametrize("others, cores, maximum, expected", [
    (0.0, 2, 2, 2), (0.3, 2, 2, 2), (0.8, 2, 2, 1), (1.0, 2, 2, 1), (2.0, 2, 2, 1),
    (0.0, 8, 4, 4), (3.2, 8, 8, 5), (7.9, 8, 8, 1)])
def test_threads_are_the_free_cores(others, cores, maximum, expected):
    assert choose_threads(others, cores, maximum) == expected


@pytest.fixture
def busy_process():
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.3)
    yield process
    process.kill()
    process.wait()


@pytest.mark.skipif(CpuSnapshot.now() is None, reason="needs /proc/stat (Linux)")
def test_a_busy_process_is_measured_and_our_own_work_is_not(busy_process):
    before = CpuSnapshot.now()
    end = time.monotonic() + 0.4
    while time.monotonic() < end:  # this process busy too: it must not count as 'others'
        pass
    others = CpuSnapshot.now().others_since(before)
    assert 0.6 < others < 2.1  # the busy child (and at most a little of anything else)


@pytest.mark.skipif(CpuSnapshot.now() is None, reason="needs /proc/stat (Linux)")
def test_fit_beside_a_busy_process_uses_one_thread_fewer_and_restores(monkeypatch, busy_process):
    monkeypatch.setenv("GLASSNET_THREADS", "auto")
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    seen = []
    model = Sequential([Input(shape=(4,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    from glassnet.callbacks import LambdaCallback
    try:
        model.fit(np.zeros((64, 4), "float32"), np.zeros((64, 2), "float32"), batch_size=8, epochs=2, verbose=0,
                  callbacks=[LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(torch.get_num_threads()))])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    if len(os.sched_getaffinity(0)) == 2:
        assert seen[0] == 1


def test_a_pinned_count_is_used_and_torch_leaves_it_alone(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("GLASSNET_THREADS", "1")
    with ThreadGovernor(torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    monkeypatch.setenv("GLASSNET_THREADS", "torch")
    with ThreadGovernor(torch.device("cpu")) as governor:
        assert not governor.active and torch.get_num_threads() == before
