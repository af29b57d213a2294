# Port of "A first look at a neural network" (Deep Learning with Python, 1st ed., notebook 2.1), by Francois Chollet.
# Original: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/first_edition/
#   2.1-a-first-look-at-a-neural-network.ipynb (MIT)
# Ported by changing the import lines only; lines marked `glassnet-test: smaller` use less data.
import glassnet as keras
keras.__version__

from glassnet.datasets import mnist

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images.shape
len(train_labels)
train_labels
test_images.shape
len(test_labels)
test_labels

from glassnet import models
from glassnet import layers

network = models.Sequential()
network.add(layers.Dense(512, activation='relu', input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation='softmax'))
network.compile(optimizer='rmsprop',
                loss='categorical_crossentropy',
                metrics=['accuracy'])

train_images = train_images.reshape((60000, 28 * 28))
train_images = train_images.astype('float32') / 255
test_images = test_images.reshape((10000, 28 * 28))
test_images = test_images.astype('float32') / 255

from glassnet.utils import to_categorical

train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)
train_images, train_labels = train_images[:5000], train_labels[:5000]  # glassnet-test: smaller

network.fit(train_images, train_labels, epochs=2, batch_size=128)  # glassnet-test: smaller (5 epochs in the original)
test_loss, test_acc = network.evaluate(test_images, test_labels)
print('test_acc:', test_acc)
