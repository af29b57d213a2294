"""Datasets from arrays (numpy, torch) and from CSV files / pandas tables.

>>> import numpy as np
>>> ds = from_arrays(np.zeros((100, 28, 28, 1), np.uint8), np.arange(100) % 10, batch_size=50)
>>> len(ds)
2
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from glassnet.datasets.pipeline import TensorDataset
from glassnet.errors import LabelError


def from_arrays(x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                label_mode: str | None = "int", num_classes: int | None = None,
                class_names: Sequence[str] | None = None, device: Any = None) -> TensorDataset:
    """A batch pipeline over in-memory arrays: one tensor on the device (uint8 kept as uint8).

    ``label_mode``: 'int', 'categorical', 'binary', or None for regression targets.

    >>> ds = from_arrays(np.random.rand(10, 3), np.random.rand(10), label_mode=None, batch_size=5)
    >>> x, y = next(iter(ds)); x.dtype, y.dtype
    (torch.float32, torch.float32)
    """
    return TensorDataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, label_mode=label_mode,
                         num_classes=num_classes, class_names=class_names, device=device)


def table_to_arrays(frame, target: str | None, task: str = "auto",
                    ) -> tuple[np.ndarray, np.ndarray | None, list[str] | None, list[str]]:
    """Features float32 (numbers as they are, text columns one-hot), target, class names, feature names.

    ``task``: 'classification' (target -> int codes, sorted class names),
    'regression' (float32), or 'auto' (text, bool or integers with at most 20
    distinct values are classes).

    >>> import pandas as pd
    >>> x, y, names, cols = table_to_arrays(pd.DataFrame({'a': [1, 2], 'c': ['u', 'v'], 't': ['no', 'yes']}), 't')
    >>> x.tolist(), y.tolist(), names, cols
    ([[1.0, 1.0, 0.0], [2.0, 0.0, 1.0]], [0, 1], ['no', 'yes'], ['a', 'c_u', 'c_v'])
    """
    import pandas as pd

    if target is not None and target not in frame.columns:
        raise LabelError(f"Target column {target!r} is not in the table; columns: {list(frame.columns)}.")
    features = frame.drop(columns=[target]) if target is not None else frame
    features = pd.get_dummies(features, dtype=np.float32)
    x = features.to_numpy(dtype=np.float32)
    if target is None:
        return x, None, None, list(features.columns)
    column = frame[target]
    if task == "auto":
        discrete = column.dtype == object or column.dtype == bool or str(column.dtype) in ("category", "string", "str")
        task = "classification" if discrete or (np.issubdtype(column.dtype, np.integer)
                                                 and column.nunique() <= 20) else "regression"
    if task == "regression":
        return x, column.to_numpy(dtype=np.float32), None, list(features.columns)
    if task != "classification":
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', not {task!r}.")
    codes, names = pd.factorize(column, sort=True)
    if (codes < 0).any():
        raise LabelError(f"Target column {target!r} has missing values in rows {np.flatnonzero(codes < 0)[:10].tolist()}.")
    return x, codes.astype(np.int64), [str(n) for n in names], list(features.columns)


def from_pandas(frame, target: str | None = None, task: str = "auto", batch_size: int = 32, shuffle: bool = True,
                seed: int | None = None, label_mode: str | None = "auto", device: Any = None) -> TensorDataset:
    """A batch pipeline from a pandas DataFrame: ``target`` is the label (classification) or value (regression).

    >>> import pandas as pd
    >>> ds = from_pandas(pd.DataFrame({'x': [0.1, 0.2, 0.3], 'y': ['a', 'b', 'a']}), target='y')
    >>> ds.class_names, ds.feature_names
    (['a', 'b'], ['x'])
    """
    x, y, names, columns = table_to_arrays(frame, target, task)
    if label_mode == "auto":
        label_mode = "int" if names is not None else None
    ds = TensorDataset(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, label_mode=label_mode,
                       class_names=names, device=device)
    ds.feature_names = columns
    return ds


def from_csv(path: str | os.PathLike, target: str | None = None, task: str = "auto", batch_size: int = 32,
             shuffle: bool = True, seed: int | None = None, label_mode: str | None = "auto", device: Any = None,
             **read_csv_kwargs) -> TensorDataset:
    """A batch pipeline from a CSV file (read with ``pandas.read_csv``); see :func:`from_pandas`.

    >>> ds = from_csv('houses.csv', target='price')  # doctest: +SKIP
    """
    import pandas as pd

    return from_pandas(pd.read_csv(path, **read_csv_kwargs), target, task, batch_size, shuffle, seed, label_mode,
                       device)
