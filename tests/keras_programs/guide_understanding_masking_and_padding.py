# Port of "Understanding masking & padding" (keras-io guide, Keras 3), by Scott Zhu and Francois Chollet.
# Original: https://keras.io/guides/understanding_masking_and_padding/
#   (source: https://github.com/keras-team/keras-io/blob/master/guides/understanding_masking_and_padding.py,
#   Apache-2.0)
# Ported by changing the import lines only. This port keeps the guide's first sections (padding, masking,
# then an LSTM that consumes the mask), which need pieces glassnet does not have yet.
import numpy as np
import glassnet as keras
from glassnet import ops
from glassnet import layers

raw_inputs = [
    [711, 632, 71],
    [73, 8, 3215, 55, 927],
    [83, 91, 1, 645, 1253, 927],
]
padded_inputs = keras.utils.pad_sequences(raw_inputs, padding="post")
print(padded_inputs)

embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
masked_output = embedding(padded_inputs)
print(masked_output._keras_mask)

masking_layer = layers.Masking()
unmasked_embedding = ops.cast(
    ops.tile(ops.expand_dims(padded_inputs, axis=-1), [1, 1, 10]), dtype="float32"
)
masked_embedding = masking_layer(unmasked_embedding)
print(masked_embedding._keras_mask)

model = keras.Sequential(
    [
        layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True),
        layers.LSTM(32),
    ]
)
