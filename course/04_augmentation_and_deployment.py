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
# # 4. Data augmentation and deployment
#
# A network that has seen few images memorises them: its training error is low and its dev error high —
# *high variance*. The cheapest cure is more data; when there is none, we make more from what we have by
# flipping, shifting and zooming the images. Then we take the trained model out of the notebook: exported to
# ONNX, and served over HTTP.
#
# **You will learn to**
# - put augmentation layers (`RandomFlip`, `RandomTranslation`, `RandomZoom`) *inside* the model, so they run
#   on the same device as the network (the GPU when there is one) and only while training;
# - look at augmented images before trusting them (`glassnet.datasets.show_augmentation`);
# - measure what augmentation does to the train and dev errors of a small CIFAR-10 convnet, and read the
#   bias/variance verdict (`model.diagnose`);
# - export a model to ONNX and check it with onnxruntime (max abs difference);
# - serve a model (`glassnet.serve`), send it a picture, read the answer — and stop the server.
#
# Quick mode (`GLASSNET_COURSE_QUICK=1`) trains on fewer images for fewer epochs; the numbers in the text are
# from the full run.

# %%
import io
import os
import tempfile

import numpy as np
import matplotlib.pyplot as plt
import httpx
from IPython.display import Image, display
from PIL import Image as PILImage

import glassnet as keras
from glassnet import layers
from glassnet.course import check, check_true, pick, show

keras.utils.set_random_seed(0)
pictures = tempfile.mkdtemp(prefix="course04_")        # where the library functions write their PNGs

# %% [markdown]
# ## The data: CIFAR-10
# 60,000 colour images of 32×32 pixels in 10 classes (50,000 to train, 10,000 to test). We keep the pixels as
# bytes (0–255) and let a `Rescaling` layer inside the model scale them: the served model will then take raw
# pixels. To see variance at work we train on a *subset* and keep 2,000 training images aside as the dev set.
#
# One trap first: this copy of CIFAR-10 is stored *sorted by class* (5,000 airplanes, then 5,000 cars, …).
# Take the first 10,000 images and you get two classes; take the last 2,000 as a dev set and it is all trucks.
# Shuffle (with a fixed seed) before taking any subset.

# %%
(x_all, y_all), (x_test, y_test) = keras.datasets.cifar10.load_data()
print("first training labels, as stored:", y_all[:8, 0])
order, test_order = np.random.default_rng(0).permutation(len(x_all)), np.random.default_rng(1).permutation(len(x_test))
x_all, y_all, x_test, y_test = x_all[order], y_all[order], x_test[test_order], y_test[test_order]
class_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
n_train = pick(full=10_000, quick=2_000)
n_dev = pick(full=2_000, quick=500)
x_train, y_train = x_all[:n_train].astype("float32"), y_all[:n_train]
x_dev, y_dev = x_all[-n_dev:].astype("float32"), y_all[-n_dev:]
print("train:", x_train.shape, " dev:", x_dev.shape, " test:", x_test.shape, " labels:", y_train[:8, 0])

# %% [markdown]
# ## Augmentation layers
# Each augmentation layer draws a new random change for every image of every batch. Here: a mirror image
# half of the time (a horse facing left is still a horse — but a vertical flip would put it on its back, so
# `"horizontal"` only), a shift by up to 10% of the height and width, and a zoom in or out by up to 10%.
# Look at them before training: the top row is four originals, each row below is a new random draw.

# %%
augmentation = keras.Sequential([
    layers.RandomFlip("horizontal"),
    layers.RandomTranslation(0.1, 0.1),
    layers.RandomZoom(0.1),
], name="augmentation")

# %% tags=["figure"]
display(Image(filename=keras.datasets.show_augmentation(x_train[:4] / 255.0, *augmentation.layers, n=4,
                                                        path=os.path.join(pictures, "augmentation.png"))))

# %% [markdown]
# The layers are random only while training; in inference (`predict`, `evaluate`, serving) they pass the
# images through unchanged, so the augmented model predicts exactly like the plain one would:

# %%
same = augmentation.predict(x_train[:4], verbose=0)
print("augmentation in inference changes nothing:", np.array_equal(same, x_train[:4]))

# %% [markdown]
# ## The same convnet, without and with augmentation
# Two identical small convnets (three convolution + pooling stages, then a dense layer and dropout). The only
# difference: the second one starts with the augmentation layers.


# %%
def small_convnet(augment: bool, name: str) -> keras.Model:
    return keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        *([layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1), layers.RandomZoom(0.1)]
          if augment else []),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(10, activation="softmax"),
    ], name=name)


epochs = pick(full=15, quick=3)
histories, diagnoses = {}, {}
for augment in (False, True):
    name = "augmented" if augment else "plain"
    keras.utils.set_random_seed(0)
    net = small_convnet(augment, name)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    histories[name] = net.fit(x_train, y_train, validation_data=(x_dev, y_dev), epochs=epochs, batch_size=64,
                              verbose=0)
    print(f"--- {name} ---")
    diagnoses[name] = net.diagnose(x_train, y_train, validation_data=(x_dev, y_dev))
    if augment:
        cifar_convnet = net
print(f"{cifar_convnet.count_params():,} parameters in each")

# %% tags=["figure"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
for name, history in histories.items():
    for ax, metric in zip(axes, ("loss", "accuracy")):
        line, = ax.plot(history.history[metric], "--", label=f"{name}: train")
        ax.plot(history.history[f"val_{metric}"], color=line.get_color(), label=f"{name}: dev")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
axes[0].legend()
show()

# %% [markdown]
# `model.diagnose` measures the training error (with the augmentation off) and the dev error, and prints the
# course's verdict with its recipe: a large gap between them is *variance* (fix: more data, augmentation,
# regularisation), a large training error is *bias* (fix: a bigger network, longer training).
#
# Full run (10,000 shuffled training images, 15 epochs, 2,000 dev images, one CPU thread, about 6 minutes):
#
# | | train error | dev error | gap (variance) |
# | --- | --- | --- | --- |
# | plain | 17.8% | 36.5% | 18.7 points |
# | augmented | 32.9% | 36.8% | 3.8 points |
#
# Augmentation did what it promises against *variance*: the gap fell from 18.7 to 3.8 points — the network can
# no longer memorise its images. The dev error did not fall (yet): the augmented network now *underfits*
# (train error 32.9%), so the verdict's first lines apply — a bigger network and longer training (exercise for
# a GPU: 50 epochs). This is the bias/variance recipe in one experiment: fix variance, then bias. Your run's
# numbers are printed below:

# %%
for name, result in diagnoses.items():
    print(f"{name:10s} train error {result.train_error:.1%}  dev error {result.dev_error:.1%}  "
          f"gap {result.variance:.1%}  → {result.verdict}")

# %% [markdown]
# On a GPU the augmentation layers run there too (they are layers of the model), so augmentation costs almost
# nothing: raise `n_train` to 50,000 and the epochs to 50.
#
# ## Deployment 1: export to ONNX
# ONNX is a file format for networks that many runtimes read (onnxruntime, TensorRT, browsers, phones). The
# exported graph is the *inference* model: the augmentation layers are identities there. onnxruntime must
# give the same probabilities as glassnet, up to float rounding:

# %%
onnx_path = cifar_convnet.export(os.path.join(pictures, "cifar_convnet.onnx"), format="onnx")
from glassnet.export import max_abs_difference   # noqa: E402

onnx_difference = max_abs_difference(cifar_convnet, onnx_path, x_test[:64].astype("float32"))
print(f"{onnx_path}: {os.path.getsize(onnx_path) / 1e6:.2f} MB; max |onnxruntime − glassnet| = {onnx_difference:.1e}")
assert onnx_difference < 1e-4

# %% [markdown]
# ## Deployment 2: serving the model over HTTP
# `glassnet.serve.create_app` wraps a model in a web app (FastAPI) with a `/predict` endpoint that takes an
# image file (or a JSON array) and answers the top classes with their probabilities. `BackgroundServer` runs
# it in a thread of this notebook, on 127.0.0.1 (this machine only) and a free port. We send the first test
# image as a PNG file, just as a phone app would:

# %%
from glassnet.serve import BackgroundServer, create_app   # noqa: E402
from glassnet.export import for_model                     # noqa: E402

app = create_app(cifar_convnet, preprocessing=for_model(cifar_convnet, class_names=class_names))
server = BackgroundServer(app).start()
print("serving on", server.url)
png = io.BytesIO()
PILImage.fromarray(x_test[0]).save(png, format="PNG")
answer = httpx.post(server.url + "/predict?top_k=3", content=png.getvalue(),
                    headers={"content-type": "image/png"}).json()
print(answer)
metadata = httpx.get(server.url + "/metadata").json()
server.stop()
print("server stopped; it expected input", metadata["input_shape"], "and knows", len(metadata["classes"]), "classes")

# %% tags=["figure"]
top = answer["predictions"][0]
print(top)
fig, (left, right) = plt.subplots(1, 2, figsize=(7, 2.5), gridspec_kw={"width_ratios": [1, 2]})
left.imshow(x_test[0])
left.set_title(f"true: {class_names[int(y_test[0, 0])]}")
left.axis("off")
right.barh([item["label"] for item in top["top_k"]][::-1], [item["probability"] for item in top["top_k"]][::-1])
right.set_xlim(0, 1)
right.set_title("the server's answer (top 3)")
show()

# %% [markdown]
# From a terminal the same is one command: every `fit` in glassnet records a run in `runs/<id>`, and
# `glassnet serve runs/<id>` serves its model; open the address it prints in a browser for a page where you
# can drop a picture and see the answer (and a Grad-CAM heat map of where the network looked, `/explain`).
# `glassnet export runs/<id> --format onnx` writes the ONNX file.
#
# ## Exercises
# **1.** Which verdict did `model.diagnose` give the *plain* network (no augmentation)? Store the verdict
# string it printed (`diagnoses["plain"].verdict`) — or, better, type what you read above.

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
answer_1 = diagnoses["plain"].verdict

# %% tags=["check"]
check("the plain network's verdict", answer_1, diagnoses["plain"].verdict,
      hint="read the line printed under '--- plain ---'")

# %% [markdown]
# **2.** An augmentation for handwritten digits: which of these would *hurt* a digit classifier — `"flip"`,
# `"translation"` or `"zoom"`? (Think of a 2 or a 7 seen in a mirror.)

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
answer_2 = "flip"

# %% tags=["check"]
check("the augmentation that changes what a digit means", answer_2, "flip",
      hint="an augmentation must keep the label true; a mirrored 2 is not a 2")

# %% [markdown]
# **3.** Send the server *eight* test images at once as JSON (`{"inputs": x_test[:8].tolist()}` to
# `/predict`, a fresh `BackgroundServer(app)` used as a context manager: `with BackgroundServer(app) as s:`)
# and store the list of the eight top-1 labels in `answer_3`.

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
with BackgroundServer(app) as s:
    reply = httpx.post(s.url + "/predict?top_k=1", json={"inputs": x_test[:8].tolist()}).json()
answer_3 = [p["top_k"][0]["label"] for p in reply["predictions"]]

# %% tags=["check"]
expected_3 = [class_names[i] for i in cifar_convnet.predict(x_test[:8].astype("float32"), verbose=0).argmax(1)]
check("the server's top-1 labels for eight test images", str(answer_3), str(expected_3),
      hint="reply['predictions'] has one entry per image; take the label of its first class")
