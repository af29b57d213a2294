"""Stacked autoencoders: greedy layer-wise pretraining (Bengio et al. 2007), then fine-tuning.

``pretrain_layerwise(layers, x)`` trains each Dense layer in turn as the encoder of a
one-layer autoencoder on the codes of the layers before it (optionally denoising:
Vincent et al. 2010). No labels are used. The trained layers then start a classifier,
``Sequential([Input(...), *layers, Dense(10, activation='softmax')])``, that is fine-tuned
on the few labelled examples.

>>> import numpy as np
>>> from glassnet.layers import Dense
>>> layers = [Dense(8, activation='relu'), Dense(4, activation='relu')]
>>> histories = pretrain_layerwise(layers, np.random.rand(32, 16).astype('float32'), epochs=2)
>>> [len(h.history['loss']) for h in histories], tuple(layers[1].weight.shape)
([2, 2], (4, 8))
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from glassnet.callbacks.base import History
from glassnet.layers import Dense, Input
from glassnet.layers.noise import GaussianNoise
from glassnet.models import Model


def pretrain_layerwise(layers: Sequence[Dense], x: Any, epochs: int = 5, batch_size: int = 256,
                       optimizer: Any = "adam", noise_stddev: float = 0.0, loss: str = "mse",
                       verbose: int | str = 0, **fit_options: Any) -> list[History]:
    """Train ``layers`` (Dense layers, built or not) greedily, first to last, each as the encoder of an
    autoencoder ``code -> layer -> Dense(code size)`` on the previous layers' codes of ``x`` (flattened
    to vectors). The reconstruction is sigmoid when its target lies in [0, 1] (pixels), else linear.
    ``optimizer`` is a name (or a callable returning a fresh optimizer). Returns one History per layer;
    the layers keep their trained weights (the temporary decoders are dropped).

    >>> from glassnet.layers import Dense
    >>> layer = Dense(2)
    >>> _ = pretrain_layerwise([layer], np.ones((8, 3), 'float32'), epochs=1)
    >>> layer.built
    True
    """
    codes = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(len(x), -1)
    histories = []
    for layer in layers:
        inputs = Input(shape=(codes.shape[1],))
        noisy = GaussianNoise(noise_stddev)(inputs) if noise_stddev else inputs
        in_unit_range = bool(codes.min() >= 0 and codes.max() <= 1)
        decoder = Dense(codes.shape[1], activation="sigmoid" if in_unit_range else None)
        autoencoder = Model(inputs, decoder(layer(noisy)), name=f"pretrain_{layer.name}")
        autoencoder.compile(optimizer=optimizer() if callable(optimizer) else optimizer, loss=loss)
        histories.append(autoencoder.fit(codes, codes, epochs=epochs, batch_size=batch_size, verbose=verbose,
                                         **fit_options))
        layer.eval()
        with torch.no_grad():
            codes = torch.cat([layer(chunk) for chunk in codes.split(4096)])
    return histories


__all__ = ["pretrain_layerwise"]
