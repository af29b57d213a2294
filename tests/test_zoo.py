"""The ``glassnet zoo`` command's implementation (the CLI wrapper lives in glassnet/cli.py)."""

import itertools

import pytest

from glassnet.applications import get_model_info, zoo_cli
from glassnet.applications.zoo_cli import bench_model, zoo


def test_zoo_rows_and_table(capsys):
    rows = zoo(models=["VGG16", "resnet50"])
    printed = capsys.readouterr().out
    assert "VGG16" in printed and "138,357,544" in printed
    assert [r["name"] for r in rows] == ["VGG16", "ResNet50"]
    assert rows[1]["top1"] == 0.759 and rows[1]["gflops"] > 7


def _fake_clock(monkeypatch, step: float) -> None:
    """perf_counter advances by ``step`` seconds per call: every timed forward pass takes ``step``."""
    ticks = itertools.count()
    monkeypatch.setattr(zoo_cli.time, "perf_counter", lambda: next(ticks) * step)


def test_bench_derives_ms_per_image_and_throughput_from_the_timed_pass(monkeypatch):
    info = get_model_info("ResNet20")
    _fake_clock(monkeypatch, 0.02)  # 20 ms per batch of 4
    row = bench_model(info, batch_size=4, repeats=2, size=16)
    assert row["name"] == "ResNet20"
    assert row["ms_per_image"] == pytest.approx(5.0)
    assert row["gflops"] == pytest.approx(info.gflops / 4)  # 16x16 is a quarter of the default 32x32
    assert row["achieved_gflops_per_s"] == pytest.approx(info.gflops / 4 / 0.005)


def test_bench_on_the_real_clock_is_consistent():
    row = bench_model(get_model_info("ResNet20"), batch_size=4, repeats=1)
    assert 0 < row["ms_per_image"] < 10_000
    assert row["gflops"] == pytest.approx(get_model_info("ResNet20").gflops)
    assert row["achieved_gflops_per_s"] == pytest.approx(row["gflops"] / (row["ms_per_image"] / 1000))


def test_zoo_bench_rows_carry_the_timings(monkeypatch):
    _fake_clock(monkeypatch, 0.008)
    rows = zoo(bench=True, models=["LeNet5"], batch_size=4, repeats=1, quiet=True)
    info = get_model_info("LeNet5")
    assert [r["name"] for r in rows] == ["LeNet5"] and rows[0]["params"] == 61_706
    assert rows[0]["ms_per_image"] == pytest.approx(2.0)
    assert rows[0]["achieved_gflops_per_s"] == pytest.approx(info.gflops / 0.002)
