"""DCGAN builders (Radford et al. 2016) for small images: 28x28x1 (MNIST, Fashion-MNIST) and 32x32x3 (CIFAR-10).

The generator grows a code into an image with strided transposed convolutions (batch norm and
ReLU between, a sigmoid at the end: pixels in [0, 1]); the discriminator shrinks an image with
strided convolutions and LeakyReLU(0.2) to one logit. With ``num_classes`` both take a class
label too (a conditional GAN): the generator joins the label's embedding to the code, the
discriminator gets it as one more image channel.

>>> g = dcgan_generator(16, (32, 32, 3), width=8)
>>> g.outputs[0].shape, dcgan_discriminator((32, 32, 3), width=8).outputs[0].shape
((None, 32, 32, 3), (None, 1))
"""

from __future__ import annotations

from typing import Sequence

from glassnet.errors import InvalidArgumentError
from glassnet.layers import (BatchNormalization, Concatenate, Conv2D, Conv2DTranspose, Dense, Embedding, Flatten,
                             Input, LeakyReLU, ReLU, Reshape)
from glassnet.models import Model


def _check_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    if len(image_shape) != 3 or image_shape[0] % 4 or image_shape[1] % 4:
        raise InvalidArgumentError(f"DCGAN builders take image_shape=(height, width, channels) with height and "
                                   f"width divisible by 4 (two stride-2 steps), e.g. (28, 28, 1); got "
                                   f"{tuple(image_shape)}. Pad or resize the images.")
    return int(image_shape[0]), int(image_shape[1]), int(image_shape[2])


def dcgan_generator(latent_dim: int = 100, image_shape: Sequence[int] = (28, 28, 1), width: int = 64,
                    num_classes: int | None = None, name: str = "generator") -> Model:
    """Code ``(N, latent_dim)`` (and a label ``(N,)`` when ``num_classes`` is given) -> image in [0, 1].

    Dense to a (H/4, W/4, 2·width) map, then two stride-2 ``Conv2DTranspose`` (2·width, width filters)
    with batch norm and ReLU, then a 3x3 ``Conv2D`` with a sigmoid to the image's channels.

    >>> g = dcgan_generator(8, (28, 28, 1), width=4, num_classes=10)
    >>> [tuple(i.shape) for i in g.inputs], g.outputs[0].shape
    ([(None, 8), (None,)], (None, 28, 28, 1))
    """
    height, width_px, channels = _check_shape(image_shape)
    z = Input(shape=(latent_dim,), name="z")
    inputs, x = [z], z
    if num_classes is not None:
        label = Input(shape=(), dtype="int64", name="label")
        inputs.append(label)
        x = Concatenate()([z, Flatten()(Embedding(num_classes, min(50, latent_dim))(label))])
    x = Dense(height // 4 * (width_px // 4) * 2 * width, use_bias=False)(x)
    x = ReLU()(BatchNormalization()(x))
    x = Reshape((height // 4, width_px // 4, 2 * width))(x)
    for filters in (2 * width, width):
        x = Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = ReLU()(BatchNormalization()(x))
    outputs = Conv2D(channels, 3, padding="same", activation="sigmoid")(x)
    return Model(inputs if num_classes is not None else z, outputs, name=name)


def dcgan_discriminator(image_shape: Sequence[int] = (28, 28, 1), width: int = 64, num_classes: int | None = None,
                        name: str = "discriminator") -> Model:
    """Image (and a label ``(N,)`` when ``num_classes`` is given) -> one logit per image, ``(N, 1)``:
    "real" when positive. Two stride-2 4x4 convolutions (width, 2·width filters) with LeakyReLU(0.2),
    then Flatten and Dense(1).

    >>> dcgan_discriminator((28, 28, 1), width=4, num_classes=10).outputs[0].shape
    (None, 1)
    """
    height, width_px, channels = _check_shape(image_shape)
    image = Input(shape=(height, width_px, channels), name="image")
    inputs, x = [image], image
    if num_classes is not None:
        label = Input(shape=(), dtype="int64", name="label")
        inputs.append(label)
        label_map = Reshape((height, width_px, 1))(Dense(height * width_px)(
            Flatten()(Embedding(num_classes, 50)(label))))
        x = Concatenate()([image, label_map])  # the label as one more channel
    for filters in (width, 2 * width):
        x = LeakyReLU(0.2)(Conv2D(filters, 4, strides=2, padding="same")(x))
    outputs = Dense(1)(Flatten()(x))
    return Model(inputs if num_classes is not None else image, outputs, name=name)


__all__ = ["dcgan_generator", "dcgan_discriminator"]
