# Port of "Variational AutoEncoder" (keras-io example, Keras 3), by fchollet.
# Original: https://keras.io/examples/generative/vae/
#   (source: https://github.com/keras-team/keras-io/blob/master/examples/generative/vae.py, Apache-2.0)
# Ported by changing the import lines only. Its train_step uses tf.GradientTape (TensorFlow is imported at
# the top), so without TensorFlow it stops there; the glassnet way is loss.backward() in train_step, as in
# guide_custom_train_step_in_torch.py. This port keeps the model definitions.
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np
import tensorflow as tf
import glassnet as keras
from glassnet import ops
from glassnet import layers


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


latent_dim = 2
encoder_inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
x = layers.Flatten()(x)
x = layers.Dense(16, activation="relu")(x)
z_mean = layers.Dense(latent_dim, name="z_mean")(x)
z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")
encoder.summary()
