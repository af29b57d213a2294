"""glassnet.layers: Keras-named layers, each a real ``torch.nn.Module``.

>>> from glassnet.layers import Dense
>>> Dense(4)
Dense(name='dense...')
"""

from glassnet.layers.base import Layer
from glassnet.layers.core import Activation, Dense, Flatten, Input, InputLayer
from glassnet.layers.dropout import Dropout, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from glassnet.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from glassnet.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                                           Conv3DTranspose, Convolution1D, Convolution2D, Convolution2DTranspose,
                                           Convolution3D, DepthwiseConv2D, SeparableConv2D)
from glassnet.layers.embedding import Embedding
from glassnet.layers.merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add,
                                     average, concatenate, maximum, minimum, multiply, subtract)
from glassnet.layers.normalization import BatchNormalization, LayerNormalization
from glassnet.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                     AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                                     GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                     GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                     GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
                                     MaxPooling1D, MaxPooling2D, MaxPooling3D)
from glassnet.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from glassnet.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from glassnet.layers.wrappers import Bidirectional, TimeDistributed
from glassnet.layers.masking import Masking
from glassnet.layers.reshaping import (Cropping1D, Cropping2D, Permute, RepeatVector, Reshape, UpSampling1D,
                                       UpSampling2D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from glassnet.layers.preprocessing import (CenterCrop, MixUp, Normalization, RandomBrightness, RandomContrast,
                                           RandomCrop, RandomCutout, RandomErasing, RandomFlip, RandomRotation,
                                           RandomTranslation, RandomZoom, Rescaling, Resizing)
from glassnet.layers.category_encoding import CategoryEncoding
from glassnet.layers.lookup import IntegerLookup, StringLookup
from glassnet.layers.text_vectorization import TextVectorization
from glassnet.layers.noise import GaussianDropout, GaussianNoise



def serialize(layer: Layer) -> dict:
    """``{'class_name', 'config'}`` of a layer (Keras' ``keras.layers.serialize``).

    >>> serialize(Dense(2))['class_name']
    'Dense'
    """
    from glassnet.saving import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """A new layer from :func:`serialize`'s output (Keras' ``keras.layers.deserialize``).

    >>> deserialize(serialize(Dense(2))).units
    2
    """
    from glassnet.saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


__all__ = ["serialize", "deserialize", 
    "Layer", "Input", "InputLayer", "Dense", "Activation", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "Flatten",
    # activation layers
    "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
    # convolution
    "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Conv1DTranspose", "Conv2DTranspose",
    "Conv3DTranspose", "Convolution1D", "Convolution2D", "Convolution3D", "Convolution2DTranspose",
    # embedding
    "Embedding",
    # merging
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "add", "concatenate",
    "subtract", "multiply", "average", "maximum", "minimum",
    # normalization
    "BatchNormalization", "LayerNormalization",
    # pooling
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D",
    "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    # reshaping
    "Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
    "UpSampling1D", "UpSampling2D", "RepeatVector",
    # recurrent layers, cells, wrappers and masking
    "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "Bidirectional", "TimeDistributed",
    "Masking",
    # preprocessing and augmentation
    "Rescaling", "Normalization", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCutout", "RandomErasing",
    "MixUp",
    # text and categories (strings stay in Python, ids come back as tensors)
    "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding",
    # noise (active only while training)
    "GaussianNoise", "GaussianDropout",
]
