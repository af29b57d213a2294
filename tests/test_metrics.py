"""Metrics against scikit-learn on the same predictions."""

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from glassnet import metrics

rng = np.random.RandomState(1)


def _run(metric, y_true, y_pred, batches=3):
    for t, p in zip(np.array_split(y_true, batches), np.array_split(y_pred, batches)):
        metric.update(torch.tensor(t), torch.tensor(p, dtype=torch.float32))
    return float(metric.result())


def test_accuracy_sparse_categorical_and_binary():
    probs = rng.dirichlet(np.ones(5), 100)
    labels = rng.randint(0, 5, 100)
    expected = sk.accuracy_score(labels, probs.argmax(1))
    assert _run(metrics.get("accuracy", "sparse_categorical_crossentropy"), labels, probs) == pytest.approx(expected)
    assert _run(metrics.get("accuracy", "categorical_crossentropy"), np.eye(5)[labels], probs) == pytest.approx(expected)
    p = rng.rand(100, 1)
    t = rng.randint(0, 2, (100, 1))
    assert _run(metrics.get("accuracy", "binary_crossentropy"), t, p) == pytest.approx(sk.accuracy_score(t, p > 0.5))


def test_top_k_accuracy():
    probs = rng.dirichlet(np.ones(6), 60)
    labels = rng.randint(0, 6, 60)
    expected = sk.top_k_accuracy_score(labels, probs, k=3, labels=range(6))
    assert _run(metrics.SparseTopKCategoricalAccuracy(k=3), labels, probs) == pytest.approx(expected)


def test_precision_recall_auc_binary():
    p = rng.rand(200, 1)
    t = (rng.rand(200, 1) < p).astype("int64")
    assert _run(metrics.get("precision"), t, p) == pytest.approx(sk.precision_score(t, p > 0.5))
    assert _run(metrics.get("recall"), t, p) == pytest.approx(sk.recall_score(t, p > 0.5))
    assert _run(metrics.get("auc"), t, p) == pytest.approx(sk.roc_auc_score(t, p), abs=0.01)


def test_mae_metric():
    t, p = rng.rand(50, 2), rng.rand(50, 2)
    assert _run(metrics.get("mae"), t, p) == pytest.approx(sk.mean_absolute_error(t, p), rel=1e-5)


def test_reset_starts_over():
    metric = metrics.get("accuracy")
    metric.update(torch.tensor([0]), torch.tensor([[0.0, 1.0]]))
    metric.reset()
    metric.update(torch.tensor([1]), torch.tensor([[0.0, 1.0]]))
    assert float(metric.result()) == 1.0


# ---------------------------------------------------------------------------- Keras' Metric API
def test_every_metric_has_keras_methods_and_trainer_methods():
    probs = rng.dirichlet(np.ones(6), 12)
    labels = rng.randint(0, 6, 12)
    for name in ("accuracy", "sparse_top_k_categorical_accuracy", "sparse_categorical_accuracy"):
        m = metrics.get(name)
        m.update_state(torch.tensor(labels), torch.tensor(probs, dtype=torch.float32))
        keras_value = float(m.result())
        m.reset_state()
        assert np.isnan(float(m.result())) or float(m.result()) == 0.0
        m.update(torch.tensor(labels), torch.tensor(probs, dtype=torch.float32))
        assert float(m.result()) == pytest.approx(keras_value)
        m.reset()


def test_mean_and_sum_match_numpy_with_weights():
    values, weights = rng.rand(10), rng.rand(10)
    m = metrics.Mean()
    m.update_state(values[:4], sample_weight=weights[:4])
    m.update_state(torch.tensor(values[4:]), sample_weight=torch.tensor(weights[4:]))
    assert float(m.result()) == pytest.approx(np.average(values, weights=weights), rel=1e-5)
    s = metrics.Sum()
    s.update_state(values)
    assert float(s.result()) == pytest.approx(values.sum(), rel=1e-5)
    m.reset_state()
    assert float(m.result()) == 0.0 and [float(v) for v in m.variables] == [0.0, 0.0]


class CategoricalTruePositives(metrics.Metric):
    """keras-io's custom metric example, ported by changing the imports only."""

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        from glassnet import ops
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.cast(sample_weight, "float32"))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


def test_user_metric_subclass_works_in_fit_and_evaluate():
    import glassnet as keras

    x = rng.rand(40, 4).astype("float32")
    y = rng.randint(0, 3, (40, 1))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=[CategoricalTruePositives(), metrics.SparseCategoricalAccuracy()])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "categorical_true_positives", "sparse_categorical_accuracy"}
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    predicted = model.predict(x, verbose=0).argmax(1)
    assert logs["categorical_true_positives"] == float((predicted == y[:, 0]).sum())
    assert logs["sparse_categorical_accuracy"] == pytest.approx((predicted == y[:, 0]).mean())
    assert model.metrics_names == ["loss", "categorical_true_positives", "sparse_categorical_accuracy"]


def test_function_metric_is_averaged():
    def absolute_error(y_true, y_pred):
        return (y_true - y_pred).abs().mean(dim=-1)

    t, p = rng.rand(20, 2), rng.rand(20, 2)
    assert _run(metrics.get(absolute_error), t, p) == pytest.approx(np.abs(t - p).mean(), rel=1e-5)
    assert metrics.get(absolute_error).name == "absolute_error"


@pytest.mark.parametrize("metric", [metrics.SparseTopKCategoricalAccuracy(k=3, name="top3"),
                                    metrics.BinaryAccuracy(threshold=0.7), metrics.AUC(num_thresholds=50),
                                    metrics.Precision(thresholds=0.3), metrics.Mean(name="loss")])
def test_serialize_round_trip_keeps_arguments(metric):
    rebuilt = metrics.get(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()


def test_user_metric_round_trips_through_the_registry():
    rebuilt = metrics.get(metrics.serialize(CategoricalTruePositives(name="ctp")))
    assert isinstance(rebuilt, CategoricalTruePositives) and rebuilt.name == "ctp"
