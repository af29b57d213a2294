"""``keras.applications.vgg16``: VGG16 with the preprocessing of its ImageNet weights ('caffe') and
``decode_predictions``. The architecture lives in :mod:`glassnet.applications.vgg`.

>>> from glassnet.applications.vgg16 import VGG16, preprocess_input, decode_predictions
>>> import numpy as np
>>> [round(float(v), 3) for v in preprocess_input(np.zeros((1, 1, 1, 3)))[0, 0, 0]]  # BGR, ImageNet means removed
[-103.939, -116.779, -123.68]
"""

from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.vgg import VGG16

preprocess_input = make_preprocess_input(VGG16.info.preprocess, "VGG16")

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]
