"""glassnet.layers: Keras-named layers, each a real ``torch.nn.Module``.

>>> from glassnet.layers import Dense
>>> Dense(4)
Dense(name='dense...')
"""

from glassnet.layers.base import Layer
from glassnet.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer

__all__ = ["Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "Flatten"]
