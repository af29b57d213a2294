"""A Keras program that imports TensorFlow, on a machine without it, is told the glassnet way."""

import importlib.util
import subprocess
import sys

import pytest

needs_no_tensorflow = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is not None,
                                         reason="TensorFlow is installed here")


@needs_no_tensorflow
@pytest.mark.parametrize("statement", ["import tensorflow as tf", "from tensorflow import keras",
                                       "import tensorflow.data"])
def test_a_program_stopping_on_tensorflow_is_told_the_glassnet_way(statement):
    result = subprocess.run([sys.executable, "-c", f"import glassnet as keras\n{statement}"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'tensorflow'" in result.stderr
    assert "DataLoader or glassnet.datasets instead of tf.data" in result.stderr
    assert "optimizer.apply" in result.stderr and "import glassnet as keras" in result.stderr


@needs_no_tensorflow
def test_importing_is_unchanged_for_libraries_that_probe_for_tensorflow():
    import glassnet  # noqa: F401
    assert importlib.util.find_spec("tensorflow") is None
    with pytest.raises(ModuleNotFoundError) as info:
        import tensorflow  # noqa: F401
    assert not getattr(info.value, "__notes__", None)  # a caught error stays Python's own


def test_other_missing_modules_keep_python_s_message():
    result = subprocess.run([sys.executable, "-c", "import glassnet\nimport no_such_module_here"],
                            capture_output=True, text=True)
    assert "No module named 'no_such_module_here'" in result.stderr and "glassnet runs Keras" not in result.stderr
