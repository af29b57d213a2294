"""``keras.applications.imagenet_utils``: ``preprocess_input(x, data_format=None, mode='caffe')`` and
``decode_predictions``, as Keras has them. They live in :mod:`glassnet.applications.imagenet`.

>>> from glassnet.applications.imagenet_utils import preprocess_input
>>> import numpy as np
>>> float(preprocess_input(np.zeros((1, 1, 1, 3)), mode='tf').min())
-1.0
"""

from glassnet.applications.imagenet import decode_predictions, preprocess_input

__all__ = ["preprocess_input", "decode_predictions"]
