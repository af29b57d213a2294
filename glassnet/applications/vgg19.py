"""``keras.applications.vgg19``: VGG19 with the preprocessing of its ImageNet weights ('caffe') and
``decode_predictions``. The architecture lives in :mod:`glassnet.applications.vgg`.

>>> from glassnet.applications.vgg19 import VGG19, preprocess_input, decode_predictions
>>> import numpy as np
>>> [round(float(v), 3) for v in preprocess_input(np.full((1, 1, 1, 3), 255.0))[0, 0, 0]]
[151.061, 138.221, 131.32]
"""

from glassnet.applications.imagenet import decode_predictions, make_preprocess_input
from glassnet.applications.vgg import VGG19

preprocess_input = make_preprocess_input(VGG19.info.preprocess, "VGG19")

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
