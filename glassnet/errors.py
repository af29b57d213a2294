"""Errors glassnet raises, each saying what is wrong, where, and what to do.

All of them derive from :class:`GlassnetError`, and also from the built-in
exception a Python user would expect (``ValueError``, ``RuntimeError``...), so
``except ValueError`` keeps working.

>>> try:
...     raise ShapeError("Layer 'dense' expects 784 features, got 28.")
... except ValueError as e:
...     print(e)
Layer 'dense' expects 784 features, got 28.
"""

from __future__ import annotations


class GlassnetError(Exception):
    """Base class of every error glassnet raises on purpose."""


class ShapeError(GlassnetError, ValueError):
    """Data or a layer input has the wrong shape."""


class LabelError(GlassnetError, ValueError):
    """Labels do not fit the loss (out of range, one-hot vs. sparse...)."""


class UnknownNameError(GlassnetError, ValueError):
    """A name (optimizer, loss, activation...) that glassnet does not know."""


class NotCompiledError(GlassnetError, RuntimeError):
    """fit/evaluate was called before compile."""


class NaNLossError(GlassnetError, FloatingPointError):
    """The training loss became NaN or infinite."""


class DataFileError(GlassnetError, OSError):
    """A data or weight file is missing, truncated or corrupt."""


class UnsafeFileError(GlassnetError, ValueError):
    """A file tried to load something that is not plain data (e.g. a code-running pickle)."""


class NotBuiltError(GlassnetError, ValueError):
    """A layer or model was asked for something that exists only once it is built or called
    (its symbolic ``input``/``output``, its shapes for ``summary``)."""


class MissingToolError(GlassnetError, ImportError):
    """An outside program or optional package that a feature needs is not installed."""


class InvalidArgumentError(GlassnetError, ValueError):
    """An argument has a value that cannot work (``batch_size=0``, ``epochs=-1``, a list of lists as x...)."""
