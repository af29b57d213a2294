"""GLASSNET_DATA may be relative (the README suggests ``../shared/data``): it is resolved to an absolute
folder once by the tests' conftest, and by the library, so CLI runs in another working folder find the data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from tests.conftest import REPO, data_root, require_data
except ImportError:  # pytest run from inside tests/
    from conftest import REPO, data_root, require_data
from glassnet.applications.weights import weights_dir
from glassnet.datasets.files import data_dir


def test_conftest_exports_an_absolute_data_folder():
    root = require_data()
    assert Path(os.environ["GLASSNET_DATA"]).is_absolute() and Path(os.environ["GLASSNET_DATA"]) == root


def test_library_and_conftest_resolve_a_relative_glassnet_data(tmp_path, monkeypatch):
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("GLASSNET_DATA", "../shared/data")
    assert data_dir() == data_root() == (tmp_path / "shared" / "data").resolve()
    assert data_dir().is_absolute() and weights_dir() == data_dir() / "weights"
    monkeypatch.setenv("GLASSNET_DATA", "~/glassnet-data")
    assert data_dir() == Path.home() / "glassnet-data"


@pytest.mark.slow  # one real `glassnet train` run (a few seconds on an idle machine)
def test_cli_in_another_folder_finds_data_given_by_a_relative_glassnet_data(tmp_path, monkeypatch):
    """What the README-command tests do: pytest starts in the repository with GLASSNET_DATA=../shared/data
    (relative), conftest resolves it, then `glassnet train` runs with tmp_path as its working folder."""
    mnist = require_data("mnist")
    relative = os.path.relpath(mnist.parent, REPO)
    assert not Path(relative).is_absolute()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("GLASSNET_DATA", relative)
    env = {**os.environ, "GLASSNET_DATA": str(data_root())}  # as conftest exports it at start-up
    command = [str(Path(sys.executable).parent / "glassnet"), "train", "--dataset", "mnist", "--epochs", "1",
               "--batch-size", "8192", "--verbose", "0"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1  # the run was saved in the CLI's own working folder
