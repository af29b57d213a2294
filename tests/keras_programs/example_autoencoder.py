# Port of "Convolutional autoencoder for image denoising" (keras-io example, Keras 3 version), by Santiago L. Valdarrama.
# Original: https://keras.io/examples/vision/autoencoder/
#   (source: https://github.com/keras-team/keras-io/blob/master/examples/vision/autoencoder.py, Apache-2.0)
# Ported by changing the import lines only; lines marked `glassnet-test: smaller` use less data.
import numpy as np
import matplotlib.pyplot as plt

from glassnet import layers
from glassnet.datasets import mnist
from glassnet.models import Model


def preprocess(array):
    array = array.astype("float32") / 255.0
    array = np.reshape(array, (len(array), 28, 28, 1))
    return array


def noise(array):
    noise_factor = 0.4
    noisy_array = array + noise_factor * np.random.normal(
        loc=0.0, scale=1.0, size=array.shape
    )
    return np.clip(noisy_array, 0.0, 1.0)


def display(array1, array2):
    n = 10
    indices = np.random.randint(len(array1), size=n)
    images1 = array1[indices, :]
    images2 = array2[indices, :]
    plt.figure(figsize=(20, 4))
    for i, (image1, image2) in enumerate(zip(images1, images2)):
        ax = plt.subplot(2, n, i + 1)
        plt.imshow(image1.reshape(28, 28))
        plt.gray()
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)
        ax = plt.subplot(2, n, i + 1 + n)
        plt.imshow(image2.reshape(28, 28))
        plt.gray()
        ax.get_xaxis().set_visible(False)
        ax.get_yaxis().set_visible(False)
    plt.show()


(train_data, _), (test_data, _) = mnist.load_data()
train_data, test_data = train_data[:500], test_data[:100]  # glassnet-test: smaller
train_data = preprocess(train_data)
test_data = preprocess(test_data)
noisy_train_data = noise(train_data)
noisy_test_data = noise(test_data)
display(train_data, noisy_train_data)

input = layers.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()

epochs, denoising_epochs = 50, 100
epochs, denoising_epochs = 1, 1  # glassnet-test: smaller
autoencoder.fit(
    x=train_data,
    y=train_data,
    epochs=epochs,
    batch_size=128,
    shuffle=True,
    validation_data=(test_data, test_data),
)
predictions = autoencoder.predict(test_data)
display(test_data, predictions)
autoencoder.fit(
    x=noisy_train_data,
    y=train_data,
    epochs=denoising_epochs,
    batch_size=128,
    shuffle=True,
    validation_data=(noisy_test_data, test_data),
)
predictions = autoencoder.predict(noisy_test_data)
display(noisy_test_data, predictions)
