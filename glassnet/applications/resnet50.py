"""``keras.applications.resnet50``: ResNet50 (Keras' variant) with the preprocessing of its ImageNet
weights ('caffe') and ``decode_predictions``. The architecture lives in :mod:`glassnet.applications.resnet`.

>>> from glassnet.applications.resnet50 import ResNet50, preprocess_input, decode_predictions
>>> ResNet50(weights=None, include_top=False).count_params()
23587712
"""

from glassnet.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
