"""Taking a batch apart the way Keras does.

The default ``train_step``, ``test_step`` and ``predict_step`` are methods of
:class:`glassnet.training.trainer.Trainer`; they, and your overrides, unpack a
batch with :func:`unpack`.
"""

from __future__ import annotations

from typing import Any

import torch


def unpack(data: Any) -> tuple:
    """(x, y, sample_weight) from a batch given as x, (x,), (x, y) or (x, y, sample_weight)
    (Keras' ``unpack_x_y_sample_weight``).

    >>> unpack((1, 2))
    (1, 2, None)
    """
    if isinstance(data, (tuple, list)) and not torch.is_tensor(data):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return tuple(data)
    return data, None, None
