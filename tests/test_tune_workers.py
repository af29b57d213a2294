"""glassnet.tune with several processes on one SQLite study: no duplicate or lost trials, a killed worker's
trial is failed and run again, and `glassnet tune` on the command line."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import optuna
import pytest

from glassnet.datasets import digits
from glassnet.tune import search
from glassnet.tune.storage import sqlite_url

BIN = Path(sys.executable).parent
WAIT_S = 240  # a fresh worker process imports torch: slow on a busy 2-core machine
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


def small_digits():
    (x, y), _ = digits.load_data()
    x = (x / 255.0).astype("float32")
    return x[:400], y[:400].astype("int64"), (x[400:600], y[400:600].astype("int64"))


def build_and_meet(trial):
    """:func:`build_mlp`, but each worker's first trial waits until another process has a trial running, so
    the two workers really run side by side (not one after the other because the second started late)."""
    trial.set_user_attr("pid", os.getpid())
    deadline = time.monotonic() + WAIT_S
    while trial.number < 2 and time.monotonic() < deadline:
        if len({t.user_attrs.get("pid") for t in trial.study.get_trials(deepcopy=False)} - {None}) >= 2:
            break
        time.sleep(0.2)
    return build_mlp(trial)


def build_mlp(trial):
    from glassnet.layers import Dense, Flatten, Input
    from glassnet.models import Sequential
    model = Sequential([Input(shape=(8, 8)), Flatten(), Dense(trial.suggest_int("units", 8, 32), activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.optimizer.learning_rate = trial.suggest_float("lr", 1e-3, 3e-2, log=True)
    return model


@pytest.mark.slow  # new processes import torch
def test_two_worker_processes_share_one_study_without_duplicates_or_lost_trials(tmp_path):
    x, y, dev = small_digits()
    result = search(build_and_meet, x, y, validation_data=dev, n_trials=8, epochs=2, batch_size=64, workers=2,
                    pruner=None, seed=0, output=tmp_path, verbose=0, plots=False)
    trials = result.study.get_trials()
    assert [t.number for t in trials] == list(range(len(trials)))  # each number once, none missing
    assert 8 <= len(trials) <= 9  # two workers may both start the last trial at the same moment
    assert all(t.state == optuna.trial.TrialState.COMPLETE and t.value is not None for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # both processes ran trials
    assert len({tuple(sorted(t.params.items())) for t in trials}) == len(trials)  # seeded per worker: no repeats
    assert (tmp_path / "trials.csv").read_text().count("\n") == len(trials) + 1


VICTIM = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_tune_workers import build_mlp, small_digits
    from glassnet.tune import search
    x, y, dev = small_digits()
    search(build_mlp, x, y, validation_data=dev, n_trials=3, epochs=100000, batch_size=400, pruner=None,
           storage={url!r}, output={output!r}, heartbeat_interval=1, verbose=0, plots=False)
""")


@pytest.mark.slow  # new processes import torch
def test_a_killed_worker_leaves_a_study_that_a_later_worker_finishes(tmp_path):
    url = sqlite_url(tmp_path / "study.db")
    script = tmp_path / "victim.py"
    script.write_text(VICTIM.format(tests=str(Path(__file__).parent), url=url, output=str(tmp_path / "victim")))
    with open(tmp_path / "victim.log", "w") as log:
        victim = subprocess.Popen([sys.executable, str(script)], stdout=log, stderr=subprocess.STDOUT)
    try:
        running = _wait_for_a_trial_past_its_first_epoch(url, victim)
        victim.send_signal(signal.SIGKILL)  # mid-trial: no chance to clean up
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert victim.returncode == -signal.SIGKILL
    time.sleep(2.5)  # its heartbeat (every 1 s) is now older than the grace period (2 s)

    x, y, dev = small_digits()
    result = search(build_mlp, x, y, validation_data=dev, n_trials=3, epochs=2, batch_size=64, pruner=None,
                    storage=url, output=tmp_path / "later", heartbeat_interval=1, verbose=0, plots=False)
    trials = result.study.get_trials()
    killed = trials[running.number]
    assert killed.state == optuna.trial.TrialState.FAIL and killed.value is None  # not a bogus COMPLETE
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert len(retries) == 1 and retries[0].state == optuna.trial.TrialState.COMPLETE
    assert retries[0].params == killed.params  # the same configuration, run again
    assert sum(t.state in FINISHED for t in trials) == 3 and len(trials) == 4
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]


def _wait_for_a_trial_past_its_first_epoch(url: str, process: subprocess.Popen) -> optuna.trial.FrozenTrial:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the victim worker stopped by itself; see victim.log"
        try:
            study = optuna.load_study(study_name="glassnet", storage=url)
        except KeyError:  # the study is not created yet
            time.sleep(0.5)
            continue
        for trial in study.get_trials(deepcopy=False):
            if trial.state == optuna.trial.TrialState.RUNNING and trial.intermediate_values:
                return trial
        time.sleep(0.5)
    pytest.fail(f"no trial of the victim worker finished an epoch within {WAIT_S} s")


@pytest.mark.slow  # new processes import torch
def test_the_cli_tunes_train_options_and_writes_its_run(tmp_path):
    result = subprocess.run([BIN / "glassnet", "tune", "--trials", "3", "--epochs", "2", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (run,) = tmp_path.iterdir()
    metrics = json.loads((run / "metrics.json").read_text())
    assert sorted(metrics["best_params"]) == ["batch_size", "dropout", "learning_rate", "optimizer", "width"]
    assert sum(metrics["trials"].values()) == 3 and 0.1 < metrics["test_accuracy"] <= 1.0
    for name in ("study.db", "trials.csv", "best_params.json", "best_model.glassnet", "optimization_history.png"):
        assert (run / name).stat().st_size > 0, name
    assert "Best model's test accuracy" in result.stdout and "trial   2:" in result.stdout
