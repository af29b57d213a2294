"""The README's commands and code are the ones these tests run, verbatim."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require_data

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.xdist_group("readme")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _commands() -> list[str]:
    lines = [line.split("#")[0].strip() for block in _blocks("bash") for line in block.splitlines()]
    return [line for line in lines if line]


def _run(command: str, cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_two_commands_are_make_targets_and_ci_runs_make_test():
    assert _commands()[:2] == ["make demo", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "torch==2.13.0" in makefile and "glassnet train" in makefile
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["accuracy"] > 0.9
    assert (tmp_path / "digits.glassnet").exists()


# `glassnet serve` and `glassnet lab` answer until Ctrl-C: tests/test_serve_*.py and tests/test_course.py run them
@pytest.mark.parametrize("command", [c for c in _commands() if c.startswith("glassnet")
                                     and not c.startswith(("glassnet serve", "glassnet lab"))])
def test_readme_glassnet_commands_run(command, tmp_path):
    dataset = re.search(r"--dataset (\w+)", command)
    if dataset and dataset.group(1) != "digits":  # digits ships with scikit-learn; the others are data files
        require_data(dataset.group(1).replace("_", "-"))
    result = _run(command, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    if command.startswith("glassnet train") and "--help" not in command:
        (run_dir,) = (tmp_path / "runs").iterdir()
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert {p.name for p in run_dir.iterdir()} >= {"model.glassnet", "history.csv", "learning_curves.png",
                                                      "metrics.json"}
        assert f"Test accuracy: {metrics['test_accuracy']:.4f}" in result.stdout
        if "--diagnose" in command:
            assert (run_dir / "diagnosis.md").read_text().startswith("# Diagnosis")
        if metrics["dataset"] == "digits":
            assert metrics["test_accuracy"] >= 0.95
        else:
            assert metrics["test_accuracy"] >= 0.98
    if command == "glassnet train --help":
        assert "--dataset" in result.stdout and "--learning-rate" in result.stdout
    if command == "glassnet zoo":
        assert "ResNet50" in result.stdout and "25,636,712" in result.stdout
