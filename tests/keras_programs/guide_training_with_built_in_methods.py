# Port of "Training & evaluation with the built-in methods" (keras-io guide, Keras 3), by fchollet.
# Original: https://keras.io/guides/training_with_built_in_methods/
#   (source: https://github.com/keras-team/keras-io/blob/master/guides/training_with_built_in_methods.py, Apache-2.0)
# Ported by changing the import lines only. The guide imports TensorFlow at the top (its later sections
# train on tf.data pipelines), so without TensorFlow it stops there; this port keeps its first section.
import torch
import tensorflow as tf

import os
import numpy as np
import glassnet as keras
from glassnet import layers
from glassnet import ops

inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
x = layers.Dense(64, activation="relu", name="dense_2")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs)

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(60000, 784).astype("float32") / 255
x_test = x_test.reshape(10000, 784).astype("float32") / 255
y_train = y_train.astype("float32")
y_test = y_test.astype("float32")
x_val = x_train[-10000:]
y_val = y_train[-10000:]
x_train = x_train[:-10000]
y_train = y_train[:-10000]

model.compile(
    optimizer=keras.optimizers.RMSprop(),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
print("Fit model on training data")
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=2,
    validation_data=(x_val, y_val),
)
