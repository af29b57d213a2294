"""glassnet.tune: a search on scikit-learn's digits beats a bad default; pruning, the hp shim, the files,
the errors. Workers and killed workers: tests/test_tune_workers.py."""

import json

import numpy as np
import optuna
import pytest

from glassnet.datasets import digits
from glassnet.errors import InvalidArgumentError, NotCompiledError, UnknownNameError
from glassnet.layers import Dense, Flatten, Input
from glassnet.models import Sequential, load_model
from glassnet.tune import HyperParameters, PruningCallback, search
from glassnet.utils import set_random_seed

EPOCHS = 4


@pytest.fixture(scope="module")
def data():
    """600 training and 300 dev digits, floats in [0, 1]."""
    (x, y), _ = digits.load_data()
    x = (x / 255.0).astype("float32")
    return (x[:600], y[:600].astype("int64")), (x[600:900], y[600:900].astype("int64"))


def mlp(units: int, learning_rate: float, optimizer: str = "adam"):
    from glassnet import optimizers
    model = Sequential([Input(shape=(8, 8)), Flatten(), Dense(units, activation="relu"),
                        Dense(10, activation="softmax")])
    opt = optimizers.get(optimizer)
    opt.learning_rate = learning_rate
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_trial(trial):
    return mlp(trial.suggest_int("units", 8, 64, log=True), trial.suggest_float("lr", 1e-5, 1e-1, log=True),
               trial.suggest_categorical("optimizer", ["sgd", "adam"]))


def test_a_20_trial_search_beats_a_deliberately_bad_default(data, tmp_path):
    (x, y), dev = data
    set_random_seed(0)
    default = mlp(32, 1e-5, "sgd").fit(x, y, validation_data=dev, epochs=EPOCHS, batch_size=64, verbose=0)
    default_accuracy = default.history["val_accuracy"][-1]
    result = search(build_trial, x, y, validation_data=dev, n_trials=20, epochs=EPOCHS, batch_size=64,
                    objective="val_accuracy", seed=0, output=tmp_path, verbose=0)
    assert result.study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert default_accuracy < 0.3 and result.best_value > default_accuracy + 0.5, (default_accuracy, result)
    assert result.best_params["lr"] > 1e-3  # the search moved away from the bad learning rate
    assert len(result.trials) == 20 and sum(result.counts().values()) == 20
    # the saved best model is the best trial's: it scores the best value on the dev set again
    best = load_model(tmp_path / "best_model.glassnet")
    _, accuracy = best.evaluate(*dev, verbose=0)
    assert accuracy == pytest.approx(result.best_value, abs=1e-6)
    summary = json.loads((tmp_path / "best_params.json").read_text())
    assert summary["best_params"] == result.best_params and summary["direction"] == "maximize"
    assert (tmp_path / "trials.csv").read_text().count("\n") == 21  # header + one row per trial
    for name in ("optimization_history", "param_importances", "intermediate_values", "trials"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("pruner", ["median", "asha"])
def test_pruning_stops_bad_trials_before_the_last_epoch(data, tmp_path, pruner):
    (x, y), dev = data
    epochs = 6
    result = search(build_trial, x, y, validation_data=dev, n_trials=12, epochs=epochs, batch_size=128,
                    objective="val_loss", pruner=pruner, seed=1, output=tmp_path, verbose=0, plots=False)
    pruned = [t for t in result.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [t for t in result.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(pruned) >= 2 and complete, result
    assert all(len(t.intermediate_values) < epochs for t in pruned)
    assert all(t.user_attrs["epochs"] == epochs for t in complete)
    assert all("model_path" not in t.user_attrs for t in pruned)  # a pruned trial is never the "best model"


def test_the_pruning_callback_reports_what_fit_logs_and_stops_fit(data):
    (x, y), dev = data
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=2.0))
    trial = study.ask()
    callback = PruningCallback(trial, monitor="val_loss")
    set_random_seed(0)
    history = mlp(16, 1e-5, "sgd").fit(x, y, validation_data=dev, epochs=5, batch_size=600, verbose=0,
                                          callbacks=[callback])
    assert study.trials[0].intermediate_values == dict(enumerate(history.history["val_loss"]))
    # the dev loss of an untrained 10-class net is ~2.3 > 2.0: pruned after the first epoch, fit stopped
    assert callback.pruned_epoch == 0 and len(history.epoch) == 1
    with pytest.raises(optuna.TrialPruned, match="after epoch 1"):
        callback.raise_if_pruned()


def test_the_hp_shim_asks_optuna_for_the_same_suggestions_as_the_trial_api():
    def with_hp(hp):
        return [hp.Int("units", 8, 512, step=8), hp.Int("layers", 1, 16, sampling="log"),
                hp.Float("lr", 1e-5, 1e-1, sampling="log"), hp.Float("dropout", 0.0, 0.5, step=0.1),
                hp.Choice("act", ["relu", "tanh", "gelu"]), hp.Boolean("batch_norm")]

    def with_trial(trial):
        return [trial.suggest_int("units", 8, 512, step=8), trial.suggest_int("layers", 1, 16, log=True),
                trial.suggest_float("lr", 1e-5, 1e-1, log=True), trial.suggest_float("dropout", 0.0, 0.5, step=0.1),
                trial.suggest_categorical("act", ["relu", "tanh", "gelu"]),
                trial.suggest_categorical("batch_norm", [False, True])]

    studies = [optuna.create_study(sampler=optuna.samplers.TPESampler(seed=3, n_startup_trials=3)) for _ in "ab"]
    for step in range(8):
        hp, trial = HyperParameters(studies[0].ask()), studies[1].ask()
        values = with_hp(hp)
        assert values == with_trial(trial), step
        assert hp.trial.distributions == trial.distributions
        assert hp.values == trial.params == dict(zip(hp.values, values))
        for study, t in zip(studies, (hp.trial, trial)):
            study.tell(t, values[2] * values[0])
    fixed = HyperParameters(studies[0].ask())
    assert fixed.Fixed("epochs", 7) == 7 and fixed.trial.user_attrs == {"epochs": 7}


def test_search_passes_hp_to_a_build_whose_parameter_is_named_hp(data, tmp_path):
    (x, y), dev = data
    seen = []

    def build(hp):
        seen.append(type(hp).__name__)
        return mlp(hp.Int("units", 8, 32), hp.Float("lr", 1e-3, 1e-2, sampling="log"))

    result = search(build, x, y, validation_data=dev, n_trials=2, epochs=1, output=tmp_path, verbose=0, plots=False)
    assert seen == ["HyperParameters", "HyperParameters"] and sorted(result.best_params) == ["lr", "units"]


def test_the_result_shows_itself_as_a_table(data, tmp_path):
    (x, y), dev = data
    result = search(build_trial, x, y, validation_data=dev, n_trials=3, epochs=1, objective="val_accuracy",
                    seed=0, output=tmp_path, verbose=0, plots=False)
    best = result.best_trial.number
    markdown = result._repr_markdown_()
    assert "| trial | state | val_accuracy | epochs | seconds | units | lr | optimizer |" in markdown
    assert f"| {best} ★ | complete | {result.best_value:.4f} |" in markdown
    assert "<table>" in result._repr_html_() and f"{best} ★" in result._repr_html_()
    assert str(result).startswith("Search 'glassnet': 3 trials (3 complete); best val_accuracy")
    rows = result.rows()
    assert [r["trial"] for r in rows] == [0, 1, 2] and all(r["epochs"] == 1 for r in rows)


def test_a_second_call_continues_the_study_instead_of_starting_over(data, tmp_path):
    (x, y), dev = data
    first = search(build_trial, x, y, validation_data=dev, n_trials=2, epochs=1, output=tmp_path, verbose=0,
                   plots=False)
    assert len(first.trials) == 2
    again = search(build_trial, x, y, validation_data=dev, n_trials=3, epochs=1, output=tmp_path, verbose=0,
                   plots=False)
    assert [t.number for t in again.trials] == [0, 1, 2]  # one more trial, not three


def test_errors_say_what_to_fix(data, tmp_path):
    (x, y), dev = data

    def not_compiled(trial):
        trial.suggest_float("lr", 1e-4, 1e-2)
        return Sequential([Input(shape=(8, 8)), Flatten(), Dense(10)])

    with pytest.raises(NotCompiledError, match=r"not_compiled\(trial\) returned a model that is not compiled.*"
                                               r"model\.compile\("):
        search(not_compiled, x, y, validation_data=dev, n_trials=1, epochs=1, output=tmp_path, verbose=0)
    with pytest.raises(InvalidArgumentError, match=r"returned NoneType, not a glassnet model.*return model"):
        search(lambda trial: None, x, y, validation_data=dev, n_trials=1, epochs=1, output=tmp_path, verbose=0)
    with pytest.raises(UnknownNameError, match=r"objective='val_acc' .* Available: loss, accuracy, val_loss, "
                                               r"val_accuracy"):
        search(build_trial, x, y, validation_data=dev, objective="val_acc", n_trials=1, epochs=1,
               output=tmp_path / "b", verbose=0)
    with pytest.raises(InvalidArgumentError, match="needs a dev set"):
        search(build_trial, x, y, n_trials=1, output=tmp_path, verbose=0)
    with pytest.raises(UnknownNameError, match="median"):
        search(build_trial, x, y, validation_data=dev, pruner="medain", output=tmp_path, verbose=0)
    with pytest.raises(InvalidArgumentError, match="top level of a .py file"):
        search(lambda trial: mlp(8, 1e-3), x, y, validation_data=dev, workers=2, output=tmp_path / "c", verbose=0)
    hp = HyperParameters(optuna.create_study().ask())
    with pytest.raises(InvalidArgumentError, match="sampling='log' cannot be combined with step"):
        hp.Float("lr", 1e-4, 1e-1, step=1e-3, sampling="log")
    with pytest.raises(InvalidArgumentError, match="'reverse_log' is not supported"):
        hp.Int("units", 1, 9, sampling="reverse_log")


def test_a_diverging_trial_is_pruned_not_a_crash(data, tmp_path):
    (x, y), dev = data
    result = search(lambda trial: mlp(16, trial.suggest_float("lr", 1e8, 1e9), "sgd"), x * 1e3, y,
                    validation_data=dev, n_trials=1, epochs=2, output=tmp_path, verbose=0, plots=False)
    (trial,) = result.trials
    assert trial.state == optuna.trial.TrialState.PRUNED and "NaN" in trial.user_attrs["diverged"]


def test_digits_data_is_what_the_tests_think(data):
    (x, y), (xv, yv) = data
    assert x.shape == (600, 8, 8) and np.bincount(y).min() > 40 and 0.0 <= x.min() and x.max() <= 1.0
