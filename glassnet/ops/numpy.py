"""``keras.ops.numpy``: every numpy-named op (:mod:`glassnet.ops.arrays` and :mod:`glassnet.ops.math`).

>>> sum(ones((2, 3)), axis=1).tolist()
[3.0, 3.0]
"""

from glassnet.ops.arrays import *  # noqa: F401,F403
from glassnet.ops.math import *  # noqa: F401,F403
