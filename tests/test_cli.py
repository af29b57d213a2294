"""The glassnet command line: errors are messages, not tracebacks."""

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def test_data_errors_are_one_clear_message_without_traceback(tmp_path):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes(b"not the real file")
    env = {**os.environ, "GLASSNET_DATA": str(tmp_path / "data"), "GLASSNET_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([BIN / "glassnet", "train", "--dataset", "mnist"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.startswith("Error:") and "Traceback" not in result.stderr + result.stdout
    assert "train-images-idx3-ubyte.gz" in result.stderr


def test_bad_option_is_reported_by_the_cli():
    result = subprocess.run([BIN / "glassnet", "train", "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--epochs" in result.stderr
