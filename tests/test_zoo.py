"""The ``glassnet zoo`` command's implementation (the CLI wrapper lives in glassnet/cli.py)."""

from glassnet.applications.zoo_cli import bench_model, zoo
from glassnet.applications import get_model_info


def test_zoo_rows_and_table(capsys):
    rows = zoo(models=["VGG16", "resnet50"])
    printed = capsys.readouterr().out
    assert "VGG16" in printed and "138,357,544" in printed
    assert [r["name"] for r in rows] == ["VGG16", "ResNet50"]
    assert rows[1]["top1"] == 0.759 and rows[1]["gflops"] > 7


def test_bench_reports_time_and_throughput():
    row = bench_model(get_model_info("ResNet20"), batch_size=4, repeats=1)
    assert row["ms_per_image"] > 0 and row["achieved_gflops_per_s"] > 0
    rows = zoo(bench=True, models=["LeNet5"], batch_size=4, repeats=1, quiet=True)
    assert rows[0]["ms_per_image"] > 0
