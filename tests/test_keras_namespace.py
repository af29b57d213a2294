"""``import glassnet as keras``: every Keras namespace and top-level name, lazily, in any order."""

from __future__ import annotations

import subprocess
import sys

import pytest

import glassnet

NAMESPACES = ["datasets", "utils", "optimizers", "losses", "metrics", "applications", "layers", "callbacks",
              "regularizers", "constraints", "initializers", "activations", "ops", "saving", "models", "backend",
              "random", "config"]
NAMES = ["Input", "Model", "Sequential", "Layer", "Variable", "KerasTensor", "Loss", "Metric", "Optimizer",
         "Regularizer", "Constraint", "Initializer", "InputLayer", "load_model"]
# one Keras-style use per namespace, run as the first statement after the import
USES = {
    "datasets": "keras.datasets.mnist.load_data",
    "utils": "keras.utils.to_categorical([0, 1])",
    "optimizers": "keras.optimizers.Adam(1e-3)",
    "losses": "keras.losses.SparseCategoricalCrossentropy()",
    "metrics": "keras.metrics.Mean()",
    "applications": "keras.applications.VGG16",
    "layers": "keras.layers.Dense(3)",
    "callbacks": "keras.callbacks.EarlyStopping()",
    "regularizers": "keras.regularizers.l2(1e-4)",
    "constraints": "keras.constraints.max_norm(2.0)",
    "initializers": "keras.initializers.HeNormal()",
    "activations": "keras.activations.relu",
    "ops": "keras.ops.mean(keras.ops.ones((2,)))",
    "saving": "keras.saving.register_keras_serializable",
    "models": "keras.models.Sequential",
    "backend": "keras.backend.floatx()",
    "random": "keras.random.normal((2,))",
    "config": "keras.config.image_data_format()",
}


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_namespaces_and_names_work_in_a_fresh_interpreter_in_any_order(order):
    """A fresh interpreter (nothing imported before), namespaces used in two opposite orders;
    ``import glassnet`` itself loads none of the heavy namespaces."""
    # the reversed run skips the two slow-to-import namespaces (zoo, datasets): ~3 s saved
    names = NAMESPACES if order == "forward" else [n for n in NAMESPACES[::-1] if n not in ("applications", "datasets")]
    code = ("import sys, glassnet as keras\n"
            "heavy = [m for m in ('glassnet.applications', 'glassnet.datasets', 'glassnet.callbacks', "
            "'glassnet.optimizers', 'glassnet.ops', 'glassnet.metrics', 'glassnet.training') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    code += "".join(f"{USES[n]}\n" for n in names)
    code += "".join(f"assert keras.{name} is not None\n" for name in (NAMES if order == "forward" else NAMES[::-1]))
    code += "assert keras.Model is keras.models.Model and keras.Layer is keras.layers.Layer\n"
    result = run_fresh(code)
    assert result.returncode == 0, result.stderr[-3000:]


def test_unknown_attribute_names_the_namespaces():
    with pytest.raises(AttributeError, match="Keras namespaces available: .*optimizers"):
        glassnet.nonexistent  # noqa: B018
    assert set(NAMESPACES) <= set(dir(glassnet))


def test_keras_program_prelude_runs():
    import glassnet as keras

    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu",
                                                                            kernel_regularizer=keras.regularizers.l2()),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    assert model.metrics_names == ["loss", "sparse_categorical_accuracy"]
    assert keras.backend.floatx() == "float32" and keras.backend.image_data_format() == "channels_last"
