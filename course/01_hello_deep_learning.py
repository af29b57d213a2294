# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Hello, deep learning
#
# The "Hello World" of deep learning: a network that reads handwritten digits.
#
# **You will learn to**
# - load a dataset and look at it before training anything;
# - build a dense network with `Sequential`, `compile` it, `fit` it and `evaluate` it — the Keras
#   programming model, running on PyTorch;
# - read learning curves;
# - see why images want *convolutions*: a dense network trained on centred digits fails when the same
#   digits are moved a few pixels to the left, while a convolutional network copes.
#
# Run the cells from top to bottom (Shift+Enter). In a hurry? `GLASSNET_COURSE_QUICK=1` shrinks the data
# and the epochs (that is how CI runs this notebook); the numbers in the text are from the full run (10,000
# training digits, 3 epochs, on a 2-core CPU). With a GPU nothing changes in the code: glassnet trains on it
# by itself, fast enough to use all 60,000 training digits (`n_train` below).

# %%
import numpy as np
import matplotlib.pyplot as plt

import glassnet as keras                    # a Keras program runs after changing only this import
from glassnet import layers
from glassnet.course import check, check_true, pick

keras.utils.set_random_seed(0)              # the same numbers every time you run the notebook

# %% [markdown]
# ## The data: MNIST
# 70,000 grey images of 28×28 pixels, each a handwritten digit with its label 0–9: 60,000 to learn from and
# 10,000 to test on. Pixels are bytes (0–255); networks learn best from small numbers, so we scale them to
# [0, 1] and add a channel axis: images are (height, width, channels), as in Keras.

# %%
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
print("train:", x_train.shape, x_train.dtype, " test:", x_test.shape, " labels:", y_train[:10])

x_train = x_train[..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0
n_train = pick(full=10_000, quick=3_000)  # all 60,000 work too; 10,000 keep it quick on a CPU
x_train, y_train = x_train[:n_train], y_train[:n_train]

# %% tags=["figure"]
fig, axes = plt.subplots(2, 8, figsize=(10, 3))
for ax, image, label in zip(axes.flat, x_train, y_train):
    ax.imshow(image[..., 0], cmap="gray")
    ax.set_title(int(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## A dense network
# `Flatten` turns each 28×28 image into a vector of 784 numbers. A `Dense` layer computes
# `activation(x · W + b)`: every output unit sees every pixel. The last layer has one unit per class with a
# softmax, so its outputs are probabilities that sum to 1. The loss, *sparse categorical crossentropy*, is
# −log(probability given to the true class).

# %%
dense = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
], name="dense_net")
dense.summary()

# %% [markdown]
# `compile` chooses how to learn (optimizer, loss, metrics); `fit` learns: it shows the data to the network
# in mini-batches of 64 images, and after each batch moves every weight a little against its gradient.
# One pass over the training set is an *epoch*. We keep 10% aside (`validation_split`) to watch how well
# the network does on images it does not learn from.

# %%
dense.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = dense.fit(x_train, y_train, epochs=pick(full=3, quick=2), batch_size=64, validation_split=0.1)

# %% tags=["figure"]
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
for key, ax in (("loss", ax_loss), ("accuracy", ax_acc)):
    ax.plot(history.history[key], "o-", label="train")
    ax.plot(history.history["val_" + key], "s--", label="validation")
    ax.set_xlabel("epoch")
    ax.set_title(key)
    ax.legend()
plt.show()

# %% [markdown]
# The curves are *learning curves*: the loss falls, the accuracy rises. Now the real test, on 10,000 images
# the network never saw (full run: 93.0%; all 60,000 training digits give 96.8%, in 23 s on one CPU thread).

# %%
test_loss, test_accuracy = dense.evaluate(x_test, y_test, verbose=0)
print(f"dense network, test accuracy: {test_accuracy:.1%}")

# %% [markdown]
# ## Move the digits a little
# A person reads a digit wherever it sits on the page. Shift every test digit a few pixels to the left
# (the freed columns on the right are black) and ask the same network again.

# %%
def shift_left(images, pixels):
    """The images moved ``pixels`` to the left; the columns that appear on the right are black."""
    shifted = np.zeros_like(images)
    shifted[:, :, : images.shape[2] - pixels] = images[:, :, pixels:]
    return shifted


shifts = [0, 2, 4, 6, 8]
x_eval, y_eval = x_test[:pick(full=10_000, quick=2_000)], y_test[:pick(full=10_000, quick=2_000)]
dense_scores = [dense.evaluate(shift_left(x_eval, s) if s else x_eval, y_eval, verbose=0)[1] for s in shifts]
print({s: round(a, 3) for s, a in zip(shifts, dense_scores)})

# %% tags=["figure"]
fig, axes = plt.subplots(1, len(shifts), figsize=(10, 2.2))
for ax, s in zip(axes, shifts):
    ax.imshow((shift_left(x_eval[:1], s) if s else x_eval[:1])[0, ..., 0], cmap="gray")
    ax.set_title(f"{s} px left")
    ax.axis("off")
plt.show()

# %% [markdown]
# The dense network falls apart (full run: 93.0% centred, 62.5% at 2 pixels, 15.0% at 6 — little better than
# guessing):
# each of its weights belongs to one pixel position, so a "1" six pixels further left touches weights
# that never learned about ones.
#
# ## A convolutional network
# A `Conv2D` layer slides the SAME small filters (here 3×3) over every position of the image: what it
# learns about a stroke at one place it knows everywhere. `MaxPooling2D` keeps the strongest response in
# each 2×2 window, and `GlobalMaxPooling2D` keeps, for each filter, its strongest response anywhere —
# so *where* a pattern appears matters much less. Chapter 3 takes convolutions apart.

# %%
convnet = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, padding="same", activation="relu"),
    layers.GlobalMaxPooling2D(),
    layers.Dense(10, activation="softmax"),
], name="convnet")
convnet.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
convnet.fit(x_train, y_train, epochs=pick(full=3, quick=2), batch_size=64, validation_split=0.1)
conv_scores = [convnet.evaluate(shift_left(x_eval, s) if s else x_eval, y_eval, verbose=0)[1] for s in shifts]
print({s: round(a, 3) for s, a in zip(shifts, conv_scores)})

# %% tags=["figure"]
plt.figure(figsize=(6, 3.5))
plt.plot(shifts, dense_scores, "o-", label="dense network")
plt.plot(shifts, conv_scores, "s-", label="convolutional network")
plt.xlabel("digits shifted left (pixels)")
plt.ylabel("test accuracy")
plt.ylim(0, 1)
plt.legend()
plt.title("Trained on centred digits, tested on shifted ones")
plt.show()

# %% [markdown]
# The convolutional network keeps most of its accuracy (full run: 94.6% centred, still 92.2% at 6 pixels) with
# *fewer* weights than the dense one. Sharing weights across positions is the idea behind every image
# network in this course.
#
# ## Exercises
# Replace each `...` with your answer and run the cell below it: it tells you whether you got it right.
#
# **1.** How many weights and biases (parameters) does `Dense(128)` have on the 784 inputs of a flattened
# MNIST image? Compute it by hand (inputs × units + one bias per unit).

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
answer_1 = 784 * 128 + 128

# %% tags=["check"]
check("parameters of Dense(128) on 784 inputs", answer_1, dense.layers[1].count_params(),
      hint="every one of the 128 units has a weight per input pixel, plus one bias")

# %% [markdown]
# **2.** Which network loses less accuracy when the digits move 6 pixels to the left? Answer `"dense"` or
# `"convnet"`.

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
answer_2 = "convnet"

# %% tags=["check"]
loss_dense = dense_scores[0] - dense_scores[shifts.index(6)]
loss_conv = conv_scores[0] - conv_scores[shifts.index(6)]
check("the network that copes with shifted digits", answer_2, "convnet" if loss_conv < loss_dense else "dense",
      hint="compare each network's accuracy at 0 and at 6 pixels in the plot above")

# %% [markdown]
# **3.** Train the dense network on shifted copies of the training digits too (a first taste of *data
# augmentation*, chapter 4): concatenate `x_train` with `shift_left(x_train, 6)` (labels: `y_train` twice),
# fit a fresh dense network on that, and store its accuracy on the 6-pixel-shifted test digits in `answer_3`.

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
augmented = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(),
                              layers.Dense(128, activation="relu"), layers.Dense(10, activation="softmax")])
augmented.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
augmented.fit(np.concatenate([x_train, shift_left(x_train, 6)]), np.concatenate([y_train, y_train]),
              epochs=pick(full=5, quick=2), batch_size=64, verbose=0)
answer_3 = augmented.evaluate(shift_left(x_eval, 6), y_eval, verbose=0)[1]

# %% tags=["check"]
print(f"without shifted training digits: {dense_scores[shifts.index(6)]:.1%}; with them: {answer_3}")
check_true("shown shifted digits in training, the dense network reads shifted test digits",
           isinstance(answer_3, float) and answer_3 > dense_scores[shifts.index(6)] + 0.2,
           hint="fit on the concatenation of the original and the shifted images, then evaluate on shifted test images")

# %% [markdown]
# Showing the network shifted examples fixes *this* shift, at the price of more data and training. The
# convolutional network got it for free from its structure — and copes with shifts it never saw.
