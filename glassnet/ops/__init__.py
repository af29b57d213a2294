"""``keras.ops`` on PyTorch: the numpy-like op names custom layers, losses and training steps use.

Every function takes tensors, numpy arrays or Python numbers and returns a
``torch.Tensor`` (``convert_to_numpy`` and ``shape`` excepted). Semantics follow
Keras (which follows numpy): ``axis=None`` reduces over everything, ``keepdims``
keeps reduced axes with size 1, ``std``/``var`` are population statistics,
``transpose(x)`` reverses the axes. Dtypes are named by strings (``'float32'``)
or torch dtypes. New tensors (from numbers, lists, numpy arrays, ``zeros``, ...) go
on the device models train on by default (:func:`glassnet.config.default_device`:
CUDA or MPS when present), as Keras' torch backend does, so ops inside ``call``
mix with the layer's inputs; Python floats become float32, Python ints int64
(torch's index type; Keras uses int32). Activations
and losses live in :data:`nn` too (``ops.nn.softmax``), random draws in
:mod:`glassnet.random` (also ``ops.random``).

>>> from glassnet import ops
>>> x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
>>> ops.mean(x).item(), ops.sum(x, axis=0).tolist(), ops.max(x, axis=1, keepdims=True).shape
(2.5, [4.0, 6.0], torch.Size([2, 1]))
>>> ops.one_hot(ops.convert_to_tensor([0, 2]), 3).tolist()
[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import builtins  # noqa: F401  (doctests below use builtins.round next to ops.round)

from glassnet import random  # noqa: F401  (ops.random, as in Keras examples)
from glassnet.ops import image, nn, numpy  # noqa: F401  (ops.image.resize, ops.nn.softmax, ops.numpy.*)
from glassnet.ops.arrays import *  # noqa: F401,F403
from glassnet.ops.core import *  # noqa: F401,F403
from glassnet.ops.math import *  # noqa: F401,F403
from glassnet.ops.nn import *  # noqa: F401,F403
