# Port of "Introduction to convnets" (Deep Learning with Python, 1st ed., notebook 5.1), by Francois Chollet.
# Original: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/first_edition/
#   5.1-introduction-to-convnets.ipynb (MIT)
# Ported by changing the import lines only; lines marked `glassnet-test: smaller` use less data.
import glassnet as keras
keras.__version__

from glassnet import layers
from glassnet import models

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.summary()
model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10, activation='softmax'))
model.summary()

from glassnet.datasets import mnist
from glassnet.utils import to_categorical

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()
train_images = train_images.reshape((60000, 28, 28, 1))
train_images = train_images.astype('float32') / 255
test_images = test_images.reshape((10000, 28, 28, 1))
test_images = test_images.astype('float32') / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)
train_images, train_labels = train_images[:2000], train_labels[:2000]  # glassnet-test: smaller
test_images, test_labels = test_images[:1000], test_labels[:1000]  # glassnet-test: smaller

model.compile(optimizer='rmsprop',
              loss='categorical_crossentropy',
              metrics=['accuracy'])
model.fit(train_images, train_labels, epochs=1, batch_size=64)  # glassnet-test: smaller (5 epochs in the original)
test_loss, test_acc = model.evaluate(test_images, test_labels)
test_acc
