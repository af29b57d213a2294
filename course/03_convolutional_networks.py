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
# # 3. Convolutional networks
#
# Chapter 1 showed that a convolutional network reads shifted digits that defeat a dense one. This chapter
# takes a convolution apart and builds the classic MNIST convnet.
#
# **You will learn to**
# - compute a convolution by hand, and see what the classic kernels (edges, blur, sharpen) do to a photo
#   (`glassnet.explain.convolve`);
# - predict a layer's output size from its kernel size, stride and padding, and the effect of pooling;
# - count parameters: why a bank of 6 filters of 5×5×3 has 456 parameters where a dense layer between the same
#   sizes has 14.5 million — checked against glassnet's `count_params`;
# - train the Keras MNIST convnet, look at its first-layer filters and feature maps, and read its confusion
#   matrix (`glassnet.explain.show_filters`, `feature_maps`, `interpret`).
#
# Quick mode (`GLASSNET_COURSE_QUICK=1`) trains on fewer images for fewer epochs; the numbers in the text are
# from the full run.

# %%
import os
import tempfile

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Image, display
from PIL import Image as PILImage

import glassnet as keras
from glassnet import explain, layers
from glassnet.course import check, check_true, pick, show

keras.utils.set_random_seed(0)
pictures = tempfile.mkdtemp(prefix="course03_")       # where the explain functions write their PNGs
data_dir = os.environ.get("GLASSNET_DATA", os.path.expanduser("~/.cache/glassnet/datasets"))

# %% [markdown]
# ## A convolution by hand
# A convolution slides a small *kernel* (filter) over the image; at every position it multiplies the patch
# under it by the kernel, element by element, and adds everything up: one output number per position.
# (Deep-learning libraries do not flip the kernel — mathematicians call this cross-correlation.)
#
# The lecture's example: a 6×6 image, bright (10) on the left half and dark (0) on the right, and the
# vertical-edge kernel `[[1, 0, −1]] × 3`. Written as two loops:

# %%
image = np.zeros((6, 6), np.float32)
image[:, :3] = 10
vertical_edge = explain.KERNELS["vertical_edge"]


def convolve_by_hand(image, kernel):
    f = kernel.shape[0]
    out = np.zeros((image.shape[0] - f + 1, image.shape[1] - f + 1), np.float32)
    for row in range(out.shape[0]):
        for col in range(out.shape[1]):
            out[row, col] = (image[row:row + f, col:col + f] * kernel).sum()
    return out


by_hand = convolve_by_hand(image, vertical_edge)
print(vertical_edge)
print(by_hand)
np.testing.assert_allclose(by_hand, explain.convolve(image, "vertical_edge"))
print("a real glassnet Conv2D with this kernel gives the same 4×4 output")

# %% [markdown]
# The output is 30 where the kernel straddles the edge, 0 on flat areas: the kernel *detects* vertical edges.
# `explain.convolve` does the same with a real `Conv2D` layer whose weights are set to the kernel. On a photo:

# %%
photo = np.asarray(PILImage.open(os.path.join(data_dir, "photos", "n03028079_church.JPEG"))
                   .convert("L").resize((256, 256)), dtype=np.float32) / 255.0
kernel_names = ["vertical_edge", "horizontal_edge", "sobel_x", "blur", "sharpen"]
filtered = {name: explain.convolve(photo, name, padding="same") for name in kernel_names}
print({name: out.shape for name, out in filtered.items()})

# %% tags=["figure"]
fig, axes = plt.subplots(1, 6, figsize=(16, 3))
axes[0].imshow(photo, cmap="gray")
axes[0].set_title("input")
for ax, (name, out) in zip(axes[1:], filtered.items()):
    span = np.percentile(np.abs(out), 99) if "edge" in name or "sobel" in name else None  # the strongest 1% saturate
    ax.imshow(out, cmap="coolwarm" if span else "gray", vmin=-span if span else None, vmax=span)
    ax.set_title(name)
for ax in axes:
    ax.axis("off")
show()

# %% [markdown]
# Red and blue mark edges of opposite direction (bright→dark and dark→bright). A convolutional network does
# not get these kernels from us: it *learns* its kernels — and its first layer usually ends up with edge and
# colour detectors much like these.
#
# ## Output sizes: kernel, padding, stride, pooling
# With an n×n input, an f×f kernel, padding p and stride s, the output is ⌊(n + 2p − f)/s⌋ + 1 on each side.
# - `padding="valid"` (p = 0): the output shrinks by f − 1;
# - `padding="same"` (p = (f − 1)/2 for odd f, stride 1): the output keeps the input's size;
# - stride s: the kernel jumps s pixels, the output is about n/s.
#
# A pooling layer slides a window the same way but has no weights: `MaxPooling2D(2)` keeps the largest of
# each 2×2 block (window 2, stride 2), halving height and width. Check the formula against real layers:

# %%
def output_size(n, f, padding=0, stride=1):
    return (n + 2 * padding - f) // stride + 1


cases = [(layers.Conv2D(8, 3), output_size(32, 3)),
         (layers.Conv2D(8, 5), output_size(32, 5)),
         (layers.Conv2D(8, 5, padding="same"), output_size(32, 5, padding=2)),
         (layers.Conv2D(8, 3, strides=2), output_size(32, 3, stride=2)),
         (layers.MaxPooling2D(2), output_size(32, 2, stride=2)),
         (layers.MaxPooling2D(3, strides=2), output_size(32, 3, stride=2))]
for layer, predicted in cases:
    net = keras.Sequential([keras.Input(shape=(32, 32, 3)), layer])
    real = net.output.shape[1]
    config = layer.get_config()
    window = config.get("kernel_size", config.get("pool_size"))
    print(f"{type(layer).__name__:12s} window {str(window):6s} stride {str(config['strides'] or window):6s} "
          f"{config['padding']:5s}: formula {predicted}, glassnet {real}")
    assert real == predicted

# %% [markdown]
# ## Counting parameters: why convolutions
# A convolution layer's parameters do not depend on the image size: each of its filters has f × f × (input
# channels) weights and one bias. Take a 32×32×3 colour image and 6 filters of 5×5×3 with `valid` padding:
# 6 × (5·5·3 + 1) = **456** parameters produce a 28×28×6 output (4,704 numbers). A dense layer from the
# 3,072 input numbers to the same 4,704 outputs needs 3,072 × 4,704 + 4,704 ≈ **14.5 million**.

# %%
conv_bank = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(6, 5)])
dense_same_size = keras.Sequential([keras.Input(shape=(3072,)), layers.Dense(28 * 28 * 6)])
print("conv output shape:", conv_bank.output.shape)
print(f"Conv2D(6, 5) on 32×32×3: {conv_bank.count_params():,} parameters (by hand {6 * (5 * 5 * 3 + 1):,})")
print(f"Dense 3072 → 4704:       {dense_same_size.count_params():,} parameters (by hand {3072 * 4704 + 4704:,})")
assert conv_bank.count_params() == 456 and dense_same_size.count_params() == 14_455_392
del dense_same_size   # 58 MB of weights we do not need

# %% [markdown]
# Two reasons for so few: **parameter sharing** (an edge detector useful in one part of the image is useful
# everywhere) and **sparse connections** (each output depends on a 5×5 patch only).
#
# ## The Keras MNIST convnet
# The classic small convnet from the Keras examples: two convolution + max-pooling stages, then dropout and a
# softmax. Watch height and width shrink and channels grow in `summary()`.

# %%
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0
n_train, n_test = pick(full=20_000, quick=4_000), pick(full=10_000, quick=2_000)
x_train, y_train, x_test, y_test = x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]

mnist_convnet = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
], name="mnist_convnet")
mnist_convnet.summary()

# %%
mnist_convnet.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = mnist_convnet.fit(x_train, y_train, batch_size=128, epochs=pick(full=4, quick=3), validation_split=0.1)
test_loss, test_accuracy = mnist_convnet.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {test_accuracy:.2%}")

# %% [markdown]
# Full run (20,000 training images, 4 epochs, about 80 s on 2 CPU cores): 97.3% on the 10,000 test digits,
# with 34,826 parameters (the dense network of chapter 1 has 101,770). On a GPU, raise `n_train` to 60,000
# and the epochs to 15, as the Keras example does.
#
# ## What did it learn? Filters and feature maps
# The first layer's 32 filters are 3×3 grids of weights: many look like the edge kernels above, in
# different directions.

# %% tags=["figure"]
display(Image(filename=explain.show_filters(mnist_convnet, path=os.path.join(pictures, "filters.png"))))

# %% [markdown]
# A *feature map* is one filter's output over the whole image. The first layer's maps are edge maps of
# the digit; after pooling, the second layer's are coarser and respond to larger parts (strokes, curves,
# corners).

# %% tags=["figure"]
maps = explain.feature_maps(mnist_convnet, x_test[0], path=os.path.join(pictures, "feature_maps.png"),
                            max_channels=12)
print({name: fmap.shape for name, fmap in maps.items()})
display(Image(filename=os.path.join(pictures, "feature_maps.png")))

# %% [markdown]
# ## Where does it go wrong? The confusion matrix
# Row = true digit, column = predicted digit; the diagonal is right, everything else is a mistake.
# `explain.interpret` also lists the pairs confused most often and the images with the largest loss.

# %% tags=["figure"]
interpretation = explain.interpret(mnist_convnet, x_test, y_test, class_names=[str(d) for d in range(10)])
print("most confused (true, predicted, count):", interpretation.most_confused()[:5])
display(Image(data=interpretation.plot_confusion_matrix(path=None)))

# %% tags=["figure"]
display(Image(filename=interpretation.plot_top_losses(k=9, path=os.path.join(pictures, "top_losses.png"),
                                                     grad_cam=False)))

# %% [markdown]
# Many of the worst images are hard even for a person. Chapter 5 adds heat maps (Grad-CAM) that show where
# in the image a network looked.
#
# ## Exercises
# **1.** A 39×39 input goes through a `Conv2D` with 10 filters of 3×3, stride 1, `valid` padding, then a
# `Conv2D` with 5×5 filters, stride 2, `valid`. What is the height (= width) of the second layer's output?

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
answer_1 = output_size(output_size(39, 3), 5, stride=2)

# %% tags=["check"]
exercise_net = keras.Sequential([keras.Input(shape=(39, 39, 3)), layers.Conv2D(10, 3), layers.Conv2D(20, 5, strides=2)])
check("output height after the two convolutions", answer_1, exercise_net.output.shape[1],
      hint="⌊(n + 2p − f)/s⌋ + 1, applied twice: first 39 → 37")

# %% [markdown]
# **2.** How many parameters has `Conv2D(16, 3)` on a 14×14×32 input? (Does the 14×14 matter?)

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
answer_2 = 16 * (3 * 3 * 32 + 1)

# %% tags=["check"]
check("parameters of Conv2D(16, 3) on 14×14×32",
      answer_2, keras.Sequential([keras.Input(shape=(14, 14, 32)), layers.Conv2D(16, 3)]).count_params(),
      hint="each filter is 3×3×(input channels), plus one bias per filter; the image size does not matter")

# %% [markdown]
# **3.** What padding p keeps a 7×7 kernel's output the same size as its input (stride 1)?

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
answer_3 = (7 - 1) // 2

# %% tags=["check"]
check("padding for a 'same' 7×7 convolution", output_size(28, 7, padding=answer_3), 28,
      hint="n + 2p − f + 1 = n")

# %% [markdown]
# **4.** Write a 3×3 kernel (a list of lists) that detects *horizontal* edges: it must answer strongly on an
# image whose top half is bright and bottom half dark, and give 0 on flat regions and on a vertical edge.
# (Try it yourself before looking at `explain.KERNELS`.)

# %% tags=["exercise"]
answer_4 = ...

# %% tags=["solution"]
answer_4 = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]

# %% tags=["check"]
top_bright = np.zeros((8, 8), np.float32)
top_bright[:4] = 1.0
on_horizontal = explain.convolve(top_bright, answer_4)
on_vertical = explain.convolve(top_bright.T, answer_4)
check_true("the kernel finds the horizontal edge and ignores flat areas and vertical edges",
           np.abs(on_horizontal).max() > 1 and np.abs(on_horizontal[0]).max() == 0
           and np.abs(on_vertical).max() == 0,
           hint="weights that add up to 0 (flat → 0), positive in one row and negative in the opposite row")
