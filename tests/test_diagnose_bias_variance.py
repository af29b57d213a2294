"""glassnet.diagnose.bias_variance: the course's table, thresholds, input checks, and real models on MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.callbacks.base import History
from glassnet.diagnose.bias_variance import (BIAS_RECIPE, DONE_RECIPE, VARIANCE_RECIPE, BiasVariance,
                                             bias_variance, diagnose_model)
from glassnet.errors import InvalidArgumentError, NotCompiledError
from glassnet.layers import Dense, Flatten
from glassnet.models import Sequential

from conftest import require_data


@pytest.mark.parametrize("train, dev, verdict", [
    (0.01, 0.11, "high variance"),
    (0.15, 0.16, "high bias"),
    (0.15, 0.30, "high bias and high variance"),
    (0.005, 0.01, "low bias, low variance"),
])
def test_the_course_table_gives_its_four_verdicts(train, dev, verdict):
    result = bias_variance(train, dev)
    assert result.verdict == verdict
    assert result.avoidable_bias == pytest.approx(train) and result.variance == pytest.approx(dev - train)
    assert result.high_bias == ("bias" in verdict and "low bias" not in verdict)
    assert result.high_variance == verdict.endswith("high variance")


def test_recipe_orders_bias_steps_before_variance_steps_and_names_glassnet_knobs():
    both = bias_variance(0.15, 0.30).recipe
    assert both[:2] == BIAS_RECIPE[:2] and both[2:5] == VARIANCE_RECIPE[:3]
    assert sum("Another architecture" in step for step in both) == 1 and "Another architecture" in both[-1]
    text = " ".join(both)
    for knob in ("epochs", "glassnet.applications", "RandomFlip", "Dropout", "kernel_regularizer=regularizers.l2",
                 "weight_decay", "EarlyStopping"):
        assert knob in text
    assert bias_variance(0.15, 0.16).recipe == BIAS_RECIPE
    assert bias_variance(0.01, 0.11).recipe == VARIANCE_RECIPE
    assert bias_variance(0.005, 0.01).recipe == DONE_RECIPE


def test_bayes_error_and_thresholds_change_the_verdict():
    assert bias_variance(0.15, 0.16, bayes_error=0.14).verdict == "low bias, low variance"
    assert bias_variance(0.15, 0.16, bayes_error=0.14).avoidable_bias == pytest.approx(0.01)
    assert bias_variance(0.01, 0.11, variance_threshold=0.2).verdict == "low bias, low variance"
    assert bias_variance(0.005, 0.01, bias_threshold=0.001, variance_threshold=0.001).verdict == \
        "high bias and high variance"
    result = bias_variance(0.04, 0.05, bias_threshold=0.05)
    assert (result.verdict, result.bias_threshold) == ("low bias, low variance", 0.05)


@pytest.mark.parametrize("kwargs, message", [
    (dict(train_error=11, dev_error=0.2), "looks like a percentage: pass 0.11 for 11%"),
    (dict(train_error=0.1, dev_error=-0.1), "dev_error=-0.1 is not an error rate in [0, 1]"),
    (dict(train_error=0.1, dev_error=float("nan")), "dev_error=nan"),
    (dict(train_error="bad", dev_error=0.1), "train_error='bad' is not a number"),
    (dict(train_error=0.1, dev_error=0.1, bayes_error=2.0), "bayes_error=2.0"),
    (dict(train_error=0.1, dev_error=0.1, bias_threshold=0), "bias_threshold=0"),
])
def test_bad_inputs_raise_clear_errors(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        bias_variance(**kwargs)


def test_errors_below_bayes_or_dev_below_train_are_explained_not_hidden():
    optimistic = bias_variance(0.05, 0.04, bayes_error=0.06)
    assert optimistic.avoidable_bias == 0.0 and optimistic.verdict == "low bias, low variance"
    assert any("Bayes error you gave" in note for note in optimistic.notes)
    assert any("dev error is 1.0% below the train error" in note for note in optimistic.notes)
    memorised = bias_variance(0.0, 0.2, bayes_error=0.05)
    assert memorised.avoidable_bias == 0.0 and memorised.verdict == "high variance"
    assert any("memorises" in note for note in memorised.notes)
    assert bias_variance(0.01, 0.02).notes == ()


def test_text_markdown_and_rich_output():
    result = bias_variance(0.01, 0.11)
    text = str(result)
    assert text.startswith("Verdict: high variance") and "train error 1.0% · dev error 11.0%" in text
    assert f"1. {VARIANCE_RECIPE[0]}" in text
    markdown = result._repr_markdown_()
    assert markdown.startswith("**Verdict: high variance**") and f"4. {VARIANCE_RECIPE[3]}" in markdown
    from rich.console import Console
    console = Console(record=True, width=200)
    console.print(result)
    assert "Verdict: high variance" in console.export_text()
    with pytest.raises(AttributeError):
        result.verdict = "low bias, low variance"  # frozen


# ---------------------------------------------------------------------------- real models
@pytest.fixture(scope="module")
def mnist_2000():
    from glassnet.datasets import mnist
    root = require_data("mnist").parent
    (x, y), _ = mnist.load_data(data_dir=root, download=False)
    x = x[:2000].astype("float32") / 255.0
    return (x[:1000], y[:1000]), (x[1000:2000], y[1000:2000])


def _mlp(units: int, metrics=("accuracy",)) -> Sequential:
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(units, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return model


def test_mlp_trained_long_on_1000_mnist_images_has_high_variance(mnist_2000, capsys):
    (x, y), dev = mnist_2000
    model = _mlp(256)
    history = model.fit(x, y, epochs=30, batch_size=64, verbose=0, validation_data=dev)
    result = model.diagnose(x, y, validation_data=dev)
    assert isinstance(result, BiasVariance) and result.verdict == "high variance"
    assert result.train_error < 0.01 and result.variance > 0.05
    # the errors are 1 - evaluate's accuracy
    assert result.dev_error == pytest.approx(1 - model.evaluate(*dev, verbose=0, return_dict=True)["accuracy"])
    assert "Verdict: high variance" in capsys.readouterr().out
    # the History holds the same verdict (its train accuracy is the last epoch's running mean)
    from_history = model.diagnose(history, verbose=False)
    assert from_history.verdict == "high variance"
    assert from_history.dev_error == pytest.approx(1 - history.history["val_accuracy"][-1])


def test_one_hidden_unit_has_high_bias_also_measured_without_an_accuracy_metric(mnist_2000):
    (x, y), dev = mnist_2000
    model = _mlp(1, metrics=())
    model.fit(x, y, epochs=10, batch_size=64, verbose=0)
    result = diagnose_model(model, x, y, validation_data=dev, verbose=False)
    assert result.verdict == "high bias" and result.avoidable_bias > 0.3
    guesses = model.predict(x, verbose=0).argmax(-1)
    assert result.train_error == pytest.approx(np.mean(guesses != y))


def test_regression_error_is_the_loss_relative_to_predicting_the_mean():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32"))[:, None]
    model = Sequential([Dense(1, input_dim=3)])
    model.compile(optimizer="sgd", loss="mse")
    model.set_weights([np.zeros((3, 1), "float32"), np.full((1,), y[:100].mean(), "float32")])
    untrained = diagnose_model(model, x[:100], y[:100], validation_data=(x[100:], y[100:]), verbose=False)
    assert untrained.train_error == pytest.approx(1.0) and untrained.verdict == "high bias"
    model.set_weights([np.array([[1.0], [-2.0], [0.5]], "float32"), np.zeros((1,), "float32")])
    exact = diagnose_model(model, x[:100], y[:100], validation_data=(x[100:], y[100:]), verbose=False)
    assert exact.train_error == pytest.approx(0.0, abs=1e-6) and exact.verdict == "low bias, low variance"


def test_missing_dev_data_points_to_the_split_and_history_without_validation():
    model = _mlp(4)
    x, y = np.zeros((4, 28, 28), "float32"), np.zeros(4, "int64")
    with pytest.raises(InvalidArgumentError, match=r"needs a dev set.*glassnet\.datasets\.split.*60/20/20.*98/1/1"):
        model.diagnose(x, y)
    history = model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(InvalidArgumentError, match="the History has no 'val_accuracy'.*glassnet.datasets.split"):
        model.diagnose(history)
    with pytest.raises(InvalidArgumentError, match="has no accuracy"):
        diagnose_model(model, History())
    with pytest.raises(NotCompiledError, match="before calling diagnose"):
        Sequential([Dense(1, input_dim=2)]).diagnose(np.zeros((2, 2)), np.zeros((2, 1)),
                                                     validation_data=(np.zeros((2, 2)), np.zeros((2, 1))))


@pytest.mark.slow  # a real `glassnet train` process (mostly start-up)
def test_glassnet_train_prints_the_verdict_and_writes_it_into_metrics_json(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    command = [Path(sys.executable).parent / "glassnet", "train", "--epochs", "2", "--verbose", "0",
               "--output", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = tmp_path.iterdir()
    found = json.loads((run / "metrics.json").read_text())["bias_variance"]
    assert found["verdict"] in ("high bias", "high variance", "high bias and high variance", "low bias, low variance")
    assert found["recipe"] == list(bias_variance(found["train_error"], found["dev_error"]).recipe)
    assert f"Verdict: {found['verdict']}" in result.stdout and f"dev error {found['dev_error']:.1%}" in result.stdout


@pytest.mark.parametrize("kind", ["binary", "one-hot"])
def test_classification_error_without_a_metric_matches_numpy(kind):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 5)).astype("float32")
    if kind == "binary":
        y = (x[:, 0] > 0).astype("float32")
        model = Sequential([Dense(1, activation="sigmoid", input_dim=5)])
        model.compile(optimizer="adam", loss="binary_crossentropy")
        wrong = lambda xs, ys: np.mean((model.predict(xs, verbose=0)[:, 0] > 0.5) != ys)  # noqa: E731
    else:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
        model = Sequential([Dense(3, activation="softmax", input_dim=5)])
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        wrong = lambda xs, ys: np.mean(model.predict(xs, verbose=0).argmax(-1) != ys.argmax(-1))  # noqa: E731
    model.fit(x[:32], y[:32], epochs=3, verbose=0)
    result = diagnose_model(model, x[:32], y[:32], validation_data=(x[32:], y[32:]), verbose=False)
    assert result.train_error == pytest.approx(wrong(x[:32], y[:32]))
    assert result.dev_error == pytest.approx(wrong(x[32:], y[32:]))
