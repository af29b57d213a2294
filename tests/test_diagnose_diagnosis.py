"""diagnosis.md: the run's verdict, the Monitor's findings and the LR finder in one file, and
`glassnet train --diagnose` writing it with its pictures into the run folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from glassnet.diagnose import Monitor, bias_variance
from glassnet.diagnose.diagnosis import GRADIENT_FLOW_PNG, LR_FIND_PNG, write_diagnosis
from glassnet.layers import Dense
from glassnet.models import Sequential

BIN = Path(sys.executable).parent
PNG = b"\x89PNG\r\n\x1a\n"


def test_a_network_fed_raw_pixels_gets_its_finding_and_picture_in_the_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (256, 20)).astype("float32")  # pixels left in 0-255
    y = (x[:, 0] > 127).astype("int64")
    model = Sequential([Dense(8, activation="relu", input_dim=20), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    monitor = Monitor()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    text = write_diagnosis(tmp_path, monitor=monitor).read_text()
    assert "| unnormalised inputs |" in text and f"]({GRADIENT_FLOW_PNG})" in text
    assert (tmp_path / GRADIENT_FLOW_PNG).read_bytes()[:8] == PNG
    assert "Not measured: it needs a dev set" in text and "glassnet.datasets.split" in text
    assert not (tmp_path / LR_FIND_PNG).exists()  # no sweep was given: no picture claims one


def test_the_verdict_section_is_the_verdicts_own_markdown(tmp_path):
    verdict = bias_variance(0.15, 0.30)
    text = write_diagnosis(tmp_path, verdict=verdict, title="mlp on digits").read_text()
    assert "Run: mlp on digits" in text and verdict._repr_markdown_() in text
    assert "high bias and high variance" in text and "## Health" not in text


def test_glassnet_train_diagnose_writes_the_diagnosis_and_its_pngs(tmp_path):
    env = {**os.environ, "COLUMNS": "120"}
    result = subprocess.run([BIN / "glassnet", "train", "--epochs", "3", "--diagnose", "--verbose", "0"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    text = (run_dir / "diagnosis.md").read_text()
    verdict = json.loads((run_dir / "metrics.json").read_text())["bias_variance"]["verdict"]
    assert f"**Verdict: {verdict}**" in text
    assert "## Health of the network while it trained" in text and "## Learning-rate finder" in text
    for name in (GRADIENT_FLOW_PNG, LR_FIND_PNG):
        assert (run_dir / name).read_bytes()[:8] == PNG
    assert "diagnosis.md" in result.stdout


def test_without_diagnose_no_diagnosis_is_written(tmp_path):
    result = subprocess.run([BIN / "glassnet", "train", "--epochs", "1", "--verbose", "0"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "diagnosis.md").exists() and not (run_dir / GRADIENT_FLOW_PNG).exists()
