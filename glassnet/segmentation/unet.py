"""U-Net (Ronneberger et al. 2015): a convolutional encoder, a mirrored decoder, and skip
connections that hand each decoder stage the encoder's features at the same resolution.

The encoder halves the resolution at each stage (two 3x3 convolutions, then 2x2 max pooling);
the decoder doubles it back (``Conv2DTranspose`` with stride 2, or ``UpSampling2D`` + a 3x3
convolution), concatenates the skip features and convolves again. A 1x1 convolution gives
per-pixel class probabilities: softmax over ``num_classes`` (a sigmoid when ``num_classes=1``).

>>> model = unet((32, 32, 1), num_classes=3, filters=(4, 8, 16))
>>> model.outputs[0].shape
(None, 32, 32, 3)
"""

from __future__ import annotations

from typing import Sequence

from glassnet.errors import InvalidArgumentError
from glassnet.layers import (BatchNormalization, Concatenate, Conv2D, Conv2DTranspose, Input, MaxPooling2D, ReLU,
                             UpSampling2D)
from glassnet.models import Model


def conv_block(x, filters: int, batch_norm: bool = True):
    """Two 3x3 'same' convolutions, each followed by batch norm (optional) and ReLU. The batch norm
    uses ``momentum=0.9``, not Keras' 0.99: after a short run, 0.99's moving statistics are still
    half-way from their start and the evaluated model predicts nothing but background.

    >>> from glassnet.layers import Input
    >>> conv_block(Input(shape=(8, 8, 1)), 4).shape
    (None, 8, 8, 4)
    """
    for _ in range(2):
        x = Conv2D(filters, 3, padding="same", use_bias=not batch_norm)(x)
        if batch_norm:
            x = BatchNormalization(momentum=0.9)(x)
        x = ReLU()(x)
    return x


def unet(input_shape: Sequence[int], num_classes: int, filters: Sequence[int] = (16, 32, 64),
         upsampling: str = "transpose", batch_norm: bool = True, name: str = "unet") -> Model:
    """A U-Net with ``len(filters) - 1`` down/up stages (``filters[-1]`` at the bottom).
    ``upsampling``: 'transpose' (learned ``Conv2DTranspose``) or 'bilinear' / 'nearest'
    (``UpSampling2D`` then a 3x3 convolution). Height and width must be divisible by
    ``2 ** (len(filters) - 1)``.

    >>> unet((28, 28, 1), 11, filters=(4, 8, 16), upsampling='bilinear').count_params() > 0
    True
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    factor = 2 ** (len(filters) - 1)
    if height % factor or width % factor:
        raise InvalidArgumentError(f"unet: input {height}x{width} is not divisible by {factor} "
                                   f"({len(filters) - 1} halvings for filters={tuple(filters)}); pad or resize "
                                   f"the images, or use fewer stages.")
    if upsampling not in ("transpose", "bilinear", "nearest"):
        raise InvalidArgumentError(f"unet(upsampling={upsampling!r}): use 'transpose', 'bilinear' or 'nearest'.")
    inputs = Input(shape=tuple(input_shape))
    x, skips = inputs, []
    for f in filters[:-1]:
        x = conv_block(x, f, batch_norm)
        skips.append(x)
        x = MaxPooling2D(2)(x)
    x = conv_block(x, filters[-1], batch_norm)
    for f, skip in zip(reversed(filters[:-1]), reversed(skips)):
        if upsampling == "transpose":
            x = Conv2DTranspose(f, 2, strides=2, padding="same")(x)
        else:
            x = Conv2D(f, 3, padding="same", activation="relu")(UpSampling2D(2, interpolation=upsampling)(x))
        x = conv_block(Concatenate()([x, skip]), f, batch_norm)
    activation = "sigmoid" if num_classes == 1 else "softmax"
    return Model(inputs, Conv2D(num_classes, 1, activation=activation, name="mask")(x), name=name)


__all__ = ["unet", "conv_block"]
