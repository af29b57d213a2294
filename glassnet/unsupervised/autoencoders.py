"""Autoencoder builders: a Model whose ``encoder`` and ``decoder`` sub-models also work alone.

An autoencoder learns to copy its input through a narrow *code*. ``dense_autoencoder``
flattens the input and squeezes it through Dense layers; ``conv_autoencoder`` halves
the image with strided convolutions and grows it back with transposed ones. Both
return a functional :class:`~glassnet.models.Model` made of two nested models,
``model.encoder`` (input -> code) and ``model.decoder`` (code -> reconstruction),
which share their weights with the autoencoder: train the whole, then use the parts.

Variants are arguments: ``noise_stddev`` puts a :class:`~glassnet.layers.GaussianNoise`
in front (a *denoising* autoencoder: noisy inputs while training, clean targets);
``code_activity_regularizer`` makes it *sparse* (``'l1'`` or :class:`KLSparsity`).

>>> import numpy as np
>>> ae = dense_autoencoder((28, 28, 1), code_size=8, hidden=(32,))
>>> ae.compile(optimizer='adam', loss='mse')
>>> x = np.random.rand(4, 28, 28, 1).astype('float32')
>>> ae.predict(x, verbose=0).shape, ae.encoder.predict(x, verbose=0).shape
((4, 28, 28, 1), (4, 8))
>>> ae.decoder.predict(np.zeros((2, 8), 'float32'), verbose=0).shape
(2, 28, 28, 1)
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from glassnet import config
from glassnet.errors import ShapeError
from glassnet.layers import Conv2D, Conv2DTranspose, Dense, Flatten, Input, Reshape
from glassnet.layers.noise import GaussianNoise
from glassnet.models import Model


def _assemble(encoder: Model, decoder: Model, input_shape: tuple, noise_stddev: float, name: str) -> Model:
    """Input -> (noise, training only) -> encoder -> decoder, as one functional model."""
    inputs = Input(shape=input_shape)
    x = GaussianNoise(noise_stddev, name="noise")(inputs) if noise_stddev else inputs
    return Model(inputs, decoder(encoder(x)), name=name)


def dense_autoencoder(input_shape: Sequence[int], code_size: int = 32, hidden: Sequence[int] = (128,),
                      activation: str = "relu", code_activation: str | None = None,
                      output_activation: str | None = "sigmoid", noise_stddev: float = 0.0,
                      code_activity_regularizer: Any = None, name: str = "autoencoder") -> Model:
    """A fully connected autoencoder: ``input -> hidden... -> code -> reversed hidden... -> input``.

    ``output_activation='sigmoid'`` suits pixels in [0, 1] (use ``None`` for unbounded data).
    The encoder's last layer is named ``code``.

    >>> ae = dense_autoencoder((784,), code_size=2, hidden=(64, 16))
    >>> [layer.units for part in (ae.encoder, ae.decoder) for layer in part.layers[1:]]
    [64, 16, 2, 16, 64, 784]
    """
    input_shape = tuple(int(d) for d in input_shape)
    inputs = Input(shape=input_shape)
    x = Flatten()(inputs) if len(input_shape) > 1 else inputs
    for units in hidden:
        x = Dense(units, activation=activation)(x)
    code = Dense(code_size, activation=code_activation, activity_regularizer=code_activity_regularizer,
                 name="code")(x)
    encoder = Model(inputs, code, name="encoder")
    code_in = Input(shape=(code_size,))
    y = code_in
    for units in reversed(tuple(hidden)):
        y = Dense(units, activation=activation)(y)
    y = Dense(math.prod(input_shape), activation=output_activation)(y)
    if len(input_shape) > 1:
        y = Reshape(input_shape)(y)
    decoder = Model(code_in, y, name="decoder")
    return _assemble(encoder, decoder, input_shape, noise_stddev, name)


def conv_autoencoder(input_shape: Sequence[int] = (28, 28, 1), filters: Sequence[int] = (16, 32),
                     code_size: int | None = None, activation: str = "relu",
                     output_activation: str | None = "sigmoid", noise_stddev: float = 0.0,
                     code_activity_regularizer: Any = None, name: str = "conv_autoencoder") -> Model:
    """A convolutional autoencoder: each ``filters`` entry is a 3x3 stride-2 convolution (halving the
    image), mirrored by stride-2 transposed convolutions and a last 3x3 convolution back to the input's
    channels. ``code_size`` adds a Dense bottleneck (a vector code); without it the code is the
    smallest feature map. Height and width must be divisible by ``2 ** len(filters)``. For pixels in
    [0, 1], compile with ``loss='binary_crossentropy'``: with noisy inputs, ``'mse'`` on the sigmoid output
    can sit for epochs on a plateau where every pixel is dark.

    >>> ae = conv_autoencoder((28, 28, 1), filters=(8, 16), code_size=10)
    >>> import numpy as np
    >>> ae.encoder.predict(np.zeros((1, 28, 28, 1), 'float32'), verbose=0).shape
    (1, 10)
    >>> ae.predict(np.zeros((1, 28, 28, 1), 'float32'), verbose=0).shape
    (1, 28, 28, 1)
    """
    input_shape = tuple(int(d) for d in input_shape)
    channels_last = config.image_data_format() == "channels_last"
    if len(input_shape) != 3:
        raise ShapeError(f"conv_autoencoder needs images (H, W, C) (or (C, H, W) with channels_first); got "
                         f"input_shape={input_shape}. For vectors use dense_autoencoder.")
    height, width, channels = input_shape if channels_last else (*input_shape[1:], input_shape[0])
    factor = 2 ** len(filters)
    if height % factor or width % factor:
        raise ShapeError(f"conv_autoencoder: {len(filters)} stride-2 stages need height and width divisible "
                         f"by {factor}; got {height}x{width}. Pad or resize the images, or use fewer filters.")
    inputs = Input(shape=input_shape)
    x = inputs
    for f in filters:
        x = Conv2D(f, 3, strides=2, padding="same", activation=activation)(x)
    small = (height // factor, width // factor, filters[-1])
    small = small if channels_last else (small[2], small[0], small[1])
    if code_size is not None:
        x = Dense(code_size, activity_regularizer=code_activity_regularizer, name="code")(Flatten()(x))
        code_shape: tuple = (code_size,)
    else:
        code_shape = small
    encoder = Model(inputs, x, name="encoder")
    code_in = Input(shape=code_shape)
    y = code_in
    if code_size is not None:
        y = Reshape(small)(Dense(math.prod(small), activation=activation)(y))
    for f in reversed(tuple(filters)):
        y = Conv2DTranspose(f, 3, strides=2, padding="same", activation=activation)(y)
    y = Conv2D(channels, 3, padding="same", activation=output_activation)(y)
    decoder = Model(code_in, y, name="decoder")
    return _assemble(encoder, decoder, input_shape, noise_stddev, name)


__all__ = ["dense_autoencoder", "conv_autoencoder"]
