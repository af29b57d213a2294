"""Porting Keras programs: what to use where a program reaches for TensorFlow itself.

A Keras program runs on glassnet after changing its import lines. The parts that
are TensorFlow, not Keras — ``tf.data``, ``tf.GradientTape``, ``tf.keras`` — have
no glassnet twin under the same name. When such a program stops on
``import tensorflow`` on a machine without it, the error shown gets a note saying
what to use instead. Nothing about importing changes (``importlib.util.find_spec``
still says TensorFlow is absent): glassnet only adds the note when the error
reaches the top (``sys.excepthook``, and IPython's handler in notebooks).

>>> err = ModuleNotFoundError("No module named 'tensorflow'", name='tensorflow')
>>> 'instead of tf.data' in add_hint(err).__notes__[0]
True
>>> add_hint(ModuleNotFoundError("No module named 'foo'", name='foo')).__notes__
Traceback (most recent call last):
AttributeError: 'ModuleNotFoundError' object has no attribute '__notes__'
"""

from __future__ import annotations

import sys
from typing import Any

HINT = (
    "glassnet runs Keras programs on PyTorch, without TensorFlow. In place of TensorFlow's own APIs use: "
    "NumPy arrays, a torch DataLoader or glassnet.datasets instead of tf.data (and glassnet.datasets or "
    "image_dataset_from_directory instead of tensorflow_datasets); torch autograd "
    "(loss.backward()) with optimizer.apply(grads, model.trainable_weights) instead of tf.GradientTape; "
    "glassnet.ops instead of tf.math/tf.nn; and 'import glassnet as keras' instead of tf.keras. "
    "See the README section 'Keras programs that run unchanged'.")


def is_missing_tensorflow(err: BaseException) -> bool:
    """True for the ModuleNotFoundError of a ``tensorflow`` (or ``tensorflow_datasets``) import."""
    name = (getattr(err, "name", None) or "").split(".")[0]
    return isinstance(err, ModuleNotFoundError) and name in ("tensorflow", "tensorflow_datasets")


def add_hint(err: BaseException) -> BaseException:
    """``err`` with the glassnet hint as a note, if it is a missing-TensorFlow error (once)."""
    if is_missing_tensorflow(err) and HINT not in getattr(err, "__notes__", ()):
        err.add_note(HINT)
    return err


def _excepthook(previous: Any):
    def hook(kind, value, traceback):
        previous(kind, add_hint(value), traceback)
    hook.glassnet_hint = True
    return hook


def install() -> None:
    """Add the note to uncaught missing-TensorFlow errors (done once, when glassnet is imported)."""
    if not getattr(sys.excepthook, "glassnet_hint", False):
        sys.excepthook = _excepthook(sys.excepthook)
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        def show(shell, kind, value, traceback, tb_offset=None):
            add_hint(value)
            shell.showtraceback((kind, value, traceback), tb_offset=tb_offset)
        shell.set_custom_exc((ModuleNotFoundError,), show)


__all__ = ["install", "add_hint", "is_missing_tensorflow", "HINT"]
