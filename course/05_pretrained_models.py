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
# # 5. Pre-trained models
#
# Training a large network on ImageNet (1.2 million photos, 1,000 classes) takes days of GPU time. The result —
# the weights — can be downloaded, and what they learned is useful far beyond ImageNet's classes.
#
# **You will learn to**
# - know the classic architectures (LeNet, AlexNet, VGG16, GoogLeNet, ResNet, MobileNet) by their parameter
#   counts and FLOPs (`glassnet.applications`, `glassnet zoo`);
# - see what ImageNet features know: photos through a pretrained MobileNet land near similar photos, through a
#   randomly initialised one they do not (nearest neighbours, a 2-D projection);
# - do transfer learning on faces (LFW): a frozen pretrained base with a new head, then fine-tuning, against
#   the same network trained from scratch;
# - ask the network where it looked with Grad-CAM (`glassnet.explain.grad_cam`, `overlay`).
#
# Quick mode (`GLASSNET_COURSE_QUICK=1`) trains on fewer faces for fewer epochs; the numbers in the text are from
# the full run. On a GPU the same code runs there by itself, only faster.

# %%
import os
import tempfile

import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Image, display
from PIL import Image as PILImage
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

import glassnet as keras
from glassnet import explain, layers
from glassnet.applications import AlexNet, GoogLeNet, LeNet5, MobileNet, VGG16, get_model_info, list_models
from glassnet.applications.mobilenet import preprocess_input
from glassnet.course import check, check_true, pick, show

keras.utils.set_random_seed(0)
pictures = tempfile.mkdtemp(prefix="course05_")
data_dir = os.environ.get("GLASSNET_DATA", os.path.expanduser("~/.cache/glassnet/datasets"))

# %% [markdown]
# ## The classic architectures
# `list_models()` (or `glassnet zoo` in a terminal) lists every model glassnet can build, with its parameter
# count, its forward FLOPs on one image (a multiply-add counts 2), its input size and the ImageNet accuracy of
# its published weights.

# %%
zoo = list_models()
zoo

# %% [markdown]
# The lecture's numbers — LeNet-5 ~61k parameters, AlexNet ~60M, VGG16 ~138M, GoogLeNet ~13M — checked on
# models built right here (random weights; building VGG16 allocates its 553 MB of weights for a moment):

# %%
lecture = {"LeNet5": (LeNet5, 61_000), "AlexNet": (AlexNet, 60_000_000), "VGG16": (VGG16, 138_000_000),
           "GoogLeNet": (GoogLeNet, 13_000_000)}
live_counts = {}
for name, (builder, approximately) in lecture.items():
    built = builder(weights=None)
    live_counts[name] = built.count_params()
    del built
    print(f"{name:10s} {live_counts[name]:>12,} parameters (the lecture: ~{approximately:,})")
    assert abs(live_counts[name] / approximately - 1) < 0.02

# %% tags=["figure"]
classics = ["LeNet5", "AlexNet", "VGG16", "GoogLeNet", "ResNet18", "ResNet50", "ResNet152", "InceptionV3",
            "MobileNet", "MobileNetV2", "DenseNet121"]
infos = [get_model_info(name) for name in classics]
fig, (ax_size, ax_accuracy) = plt.subplots(1, 2, figsize=(13, 4.5))
for info in infos:
    ax_size.scatter(info.params, info.gflops, s=40)
    ax_size.annotate(info.name, (info.params, info.gflops), fontsize=8, xytext=(4, 2), textcoords="offset points")
    if info.top1:
        ax_accuracy.scatter(info.gflops, info.top1, s=info.params / 1e6 * 3 + 5, alpha=0.6)
        ax_accuracy.annotate(info.name, (info.gflops, info.top1), fontsize=8, xytext=(4, 2), textcoords="offset points")
ax_size.set_xscale("log")
ax_size.set_yscale("log")
ax_size.set_xlabel("parameters")
ax_size.set_ylabel("GFLOPs per image")
ax_size.set_title("Size and cost")
ax_accuracy.set_xscale("log")
ax_accuracy.set_xlabel("GFLOPs per image")
ax_accuracy.set_ylabel("ImageNet top-1 accuracy")
ax_accuracy.set_title("Accuracy for the cost (dot size: parameters)")
show()

# %% [markdown]
# VGG16 has the most parameters (most in its three dense layers) and is among the costliest. GoogLeNet's
# inception modules come close to its accuracy with 10× fewer parameters and FLOPs; ResNet50 and InceptionV3,
# with a fifth of its parameters, beat it. MobileNet's depthwise-separable convolutions cut the cost several
# times more, which is why phones run it.
#
# ## What ImageNet features know
# We take the smallest MobileNet (width multiplier α = 0.25: 218,544 parameters without its classifier) with
# the weights Keras trained on ImageNet, and cut off the classifier: with `pooling="avg"` each photo becomes a
# vector of 256 numbers — its *features*. The same network with random weights is our baseline.
# The photos: 34 ImageNet photos, one per class, which we sort into a few broad groups.

# %%
photo_dir = os.path.join(data_dir, "photos")
rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(photo_dir, "labels.txt"))
        if line.strip() and not line.startswith("#")]
groups = {"dog": ["Chihuahua", "golden_retriever", "English_springer", "pug"],
          "cat": ["tabby", "Egyptian_cat", "lion"],
          "vehicle": ["ambulance", "beach_wagon", "garbage_truck", "racer", "mountain_bike"],
          "ball": ["golf_ball", "soccer_ball"],
          "fruit & drink": ["orange", "banana", "espresso"],
          "fish & bird": ["tench", "goldfish", "goldfinch", "great_grey_owl"]}
group_of = {name: group for group, names in groups.items() for name in names}
photo_names = [row[3] for row in rows]
photo_groups = [group_of.get(name, "other") for name in photo_names]
photos = np.stack([np.asarray(PILImage.open(os.path.join(photo_dir, row[0])).convert("RGB").resize((224, 224)))
                   for row in rows]).astype("float32")
print(photos.shape, "—", len(photo_names), "photos,", sum(g != "other" for g in photo_groups), "in the groups")

pretrained = MobileNet(alpha=0.25, include_top=False, weights="imagenet", input_shape=(224, 224, 3), pooling="avg")
keras.utils.set_random_seed(0)
random_init = MobileNet(alpha=0.25, include_top=False, weights=None, input_shape=(224, 224, 3), pooling="avg")
features = {"pretrained on ImageNet": pretrained.predict(preprocess_input(photos), verbose=0)}
dead = random_init.predict(preprocess_input(photos), verbose=0)
print(f"random weights, as predict runs them: features' spread across the photos {dead.std(axis=0).mean():.1e}")
with torch.no_grad():   # batch norm in training mode: each layer's output normalised over the 34 photos
    features["random weights"] = random_init(torch.from_numpy(preprocess_input(photos)), training=True).numpy()
print({name: f.shape for name, f in features.items()})

# %% [markdown]
# An untrained network's signal dies out layer by layer (chapter 2's initialisation story): its features are the
# same for every photo up to rounding. For a fair baseline we let its batch-normalisation layers rescale each
# layer's output over the batch of photos (training mode, no learning), so the random features do vary.
#
# **Nearest neighbours.** For each photo, which other photo has the most similar features (cosine
# similarity)? If the features mean something, a pug's neighbour is another dog.

# %%
def cosine_neighbours(vectors):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return similarity.argmax(axis=1)


in_groups = [i for i, g in enumerate(photo_groups) if g != "other"]
same_group = {}
for name, vectors in features.items():
    nearest = cosine_neighbours(vectors[in_groups])
    same_group[name] = float(np.mean([photo_groups[in_groups[i]] == photo_groups[in_groups[j]]
                                      for i, j in enumerate(nearest)]))
    print(f"{name:24s}: nearest neighbour in the same group for {same_group[name]:.0%} of the grouped photos")

# %% tags=["figure"]
queries = [photo_names.index(n) for n in ("pug", "tabby", "ambulance", "orange", "goldfinch")]
fig, axes = plt.subplots(len(queries), 3, figsize=(6.5, 2.2 * len(queries)))
neighbours = {name: cosine_neighbours(vectors) for name, vectors in features.items()}
for row, query in enumerate(queries):
    shown = [(query, "query"), *[(neighbours[name][query], name) for name in features]]
    for ax, (index, title) in zip(axes[row], shown):
        ax.imshow(photos[index].astype("uint8"))
        ax.set_title(f"{title}:\n{photo_names[index]}" if row == 0 else photo_names[index], fontsize=8)
        ax.axis("off")
plt.tight_layout()
show()

# %% [markdown]
# **A 2-D projection.** 256 numbers per photo are too many to plot; PCA keeps the two directions along which
# the features vary most, t-SNE arranges the points so that near neighbours stay near.

# %%
colours = {group: f"C{i}" for i, group in enumerate([*groups, "other"])}
projections = {}
for name, vectors in features.items():
    projections[(name, "PCA")] = PCA(n_components=2, random_state=0).fit_transform(vectors)
    projections[(name, "t-SNE")] = TSNE(n_components=2, perplexity=8, init="pca", random_state=0).fit_transform(vectors)

# %% tags=["figure"]
fig, axes = plt.subplots(2, 2, figsize=(12, 9))
for ax, ((name, method), points) in zip(axes.flat, projections.items()):
    for group, colour in colours.items():
        members = [i for i, g in enumerate(photo_groups) if g == group]
        ax.scatter(points[members, 0], points[members, 1], c=colour, label=group, s=30)
    for i, label in enumerate(photo_names):
        ax.annotate(label, points[i], fontsize=6, alpha=0.7)
    ax.set_title(f"{method} of the {name} features")
axes[0, 0].legend(fontsize=8)
plt.tight_layout()
show()

# %% [markdown]
# Measured: with ImageNet weights, 67% of the 21 grouped photos have their nearest neighbour in their own group
# (a dog next to a dog, a car next to a truck); with random weights 38% — above the 14% that picking a neighbour
# at random gives, because even random filters respond to colours and textures, but far below. The network never
# saw a label of *these* groups: the grouping comes from features it learned on ImageNet. These 256 numbers are
# what we reuse next.
#
# ## Transfer learning on faces
# Labeled Faces in the Wild: here the 7 people with at least 70 photos (1,288 face crops, 125×94 in
# colour; a quarter kept for testing). ImageNet has no class "Colin Powell", but its features (edges,
# textures, parts) still help. Three ways to use MobileNet:
#
# 1. **frozen base + new head**: keep the pretrained weights fixed (`base.trainable = False`), train only a new
#    `Dense(7, softmax)` on top — the choice with few data;
# 2. **fine-tuning**: then unfreeze everything and continue with a small learning rate — with more data;
# 3. **from scratch**: the same network with random weights, everything trained.

# %%
(faces_x, faces_y), (faces_x_test, faces_y_test) = keras.datasets.lfw.load_data(min_faces_per_person=70, resize=1.0,
                                                                                color=True)
people = keras.datasets.lfw.class_names(min_faces_per_person=70)
n_faces = pick(full=len(faces_x), quick=400)
faces_x, faces_y = preprocess_input(faces_x[:n_faces].astype("float32")), faces_y[:n_faces]
faces_x_test = preprocess_input(faces_x_test.astype("float32"))
print(faces_x.shape, faces_x_test.shape, people)
print("photos per person (train):", np.bincount(faces_y).tolist(),
      f"— always answering {people[np.bincount(faces_y).argmax()]} scores "
      f"{np.mean(faces_y_test == np.bincount(faces_y).argmax()):.0%} on the test set")

# %% tags=["figure"]
fig, axes = plt.subplots(1, 7, figsize=(12, 2.6))
for person, ax in enumerate(axes):
    ax.imshow(((faces_x[faces_y == person][0] + 1) * 127.5).astype("uint8"))
    ax.set_title(people[person].replace("_", "\n"), fontsize=8)
    ax.axis("off")
show()

# %%
def face_model(weights):
    keras.utils.set_random_seed(0)
    base = MobileNet(alpha=0.25, include_top=False, weights=weights, input_shape=faces_x.shape[1:], pooling="avg")
    model = keras.Sequential([keras.Input(shape=faces_x.shape[1:]), base,
                              layers.Dense(len(people), activation="softmax")])
    return model, base


results = {}
transfer, transfer_base = face_model("imagenet")
transfer_base.trainable = False
transfer.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print(f"trainable parameters with the base frozen: {sum(p.numel() for p in transfer.parameters() if p.requires_grad):,}")
head_history = transfer.fit(faces_x, faces_y, epochs=pick(full=20, quick=4), batch_size=32, verbose=0,
                            validation_data=(faces_x_test, faces_y_test))
results["frozen base + new head"] = head_history.history["val_accuracy"]

transfer_base.trainable = True
transfer.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
tune_history = transfer.fit(faces_x, faces_y, epochs=pick(full=15, quick=3), batch_size=32, verbose=0,
                            validation_data=(faces_x_test, faces_y_test))
results["... then fine-tuned"] = head_history.history["val_accuracy"] + tune_history.history["val_accuracy"]

scratch, _ = face_model(None)
scratch.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
results["from scratch"] = scratch.fit(faces_x, faces_y, epochs=pick(full=35, quick=7), batch_size=32, verbose=0,
                                      validation_data=(faces_x_test, faces_y_test)).history["val_accuracy"]
for name, curve in results.items():
    print(f"{name:24s} test accuracy after {len(curve)} epochs: {curve[-1]:.1%}")

# %% tags=["figure"]
plt.figure(figsize=(7, 4))
plt.plot(results["... then fine-tuned"], "o-", markersize=3, label="frozen base + new head, then fine-tuned")
plt.axvline(len(results["frozen base + new head"]) - 0.5, color="0.6", linestyle=":")
plt.plot(results["from scratch"], "s-", markersize=3, label="from scratch (random weights)")
plt.xlabel("epoch")
plt.ylabel("test accuracy")
plt.title("MobileNet α=0.25 on 7 people (dotted: unfreeze)")
plt.legend()
show()

# %% [markdown]
# Full run (967 training faces, 321 test faces, 2 CPU cores, a few minutes for the three): the frozen base
# with a new head (1,799 trained parameters) reaches **80.1%** after 20 epochs, fine-tuning all layers 15 more
# epochs **82.9%**, and the same network from random weights **54.8%** after 35 epochs — always guessing
# George W. Bush, the most frequent face, gives 41%. With ~1,000 photos, borrowed features win by far.
#
# ## Where did it look? Grad-CAM
# Grad-CAM weighs the last convolutional layer's feature maps by how much each one raises the predicted
# class's score (the mean gradient), and lays the result over the image: red is where the evidence came from.
# For faces we hope for eyes, nose, mouth — not the background or the collar.

# %%
sample = np.concatenate([np.flatnonzero(faces_y_test == person)[:1] for person in range(len(people))])
predicted = transfer.predict(faces_x_test[sample], verbose=0).argmax(axis=1)
cams = explain.grad_cam(transfer, faces_x_test[sample])
print(cams.shape, "predicted:", [people[p] for p in predicted])

# %% tags=["figure"]
shown_faces = ((faces_x_test[sample] + 1) * 127.5).clip(0, 255).astype("uint8")
display(Image(filename=explain.overlay(shown_faces, cams, predicted=predicted, true=faces_y_test[sample],
                                       class_names=[p.split("_")[-1] for p in people],
                                       path=os.path.join(pictures, "grad_cam.png"), side_by_side=True,
                                       title="Grad-CAM of the fine-tuned MobileNet (predicted / true)")))

# %% [markdown]
# These crops are nearly all face, so the map can hardly miss it. On the whole 250×250 photos (face, suit and
# background) a model can be right for the wrong reasons. `explain.mass_inside(cams, box)` measures the share of a
# map's mass inside a box — here the face box LFW's face detector centred — and `explain.area_share` gives the
# null, what a map blind to the face puts there. Measured (`tests/test_explain_localisation.py`): the frozen
# base with a linear head names the 7 people from whole photos 80% of the time, yet only **0.25** of its Grad-CAM
# mass is in the face box, which covers **0.20** of the photo: it reads the background and the suit (news
# photos of one person share settings). Training the head on photos whose backgrounds were swapped between
# people leaves it at ~0.2 — the frozen ImageNet features fire everywhere; fine-tuning the last two blocks on
# originals and swapped photos (86%) puts 0.46–0.48 of the map in the box at `layer="blocks.10"` (10×10), 0.33 at
# the last block: over twice the null, not yet "mostly on the face". An accuracy alone would not have told you.
#
# ![Grad-CAM of a frozen ImageNet MobileNet on whole LFW photos](../docs/images/explain_lfw_face_box.png)
#
# The fix is to teach the head what background is. `glassnet.examples.faces.face_head` trains the linear head
# on face crops and whole photos (label: the person) and on the photo outside the face box (label: one more
# class, "background"), then keeps the people, each logit being the person's log-odds *against background*.
# Its Grad-CAM on held-out whole photos puts **0.63** of the mass in the face box (null 0.21, accuracy 77%), and
# follows the face when the photo is cut off-centre. Bigger inputs alone (0.30–0.33) or a head trained on face
# crops only (0.40–0.43) did not get there: what the head is asked to tell apart decides where the map goes.
# Read that map as "where is a face": for a wrong person it is nearly the same (0.67 in the box).
#
# ![A plain head reads the background; a face-vs-background head the face](../docs/images/explain_lfw_face_head.png)

# %% [markdown]
# ## Exercises
# **1.** Most of VGG16's parameters sit in its first dense layer, which takes the 7×7×512 feature map
# (flattened) to 4,096 units. How many parameters does that layer have?

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
answer_1 = 7 * 7 * 512 * 4096 + 4096

# %% tags=["check"]
vgg = VGG16(weights=None)
first_dense = next(m for m in vgg.modules() if getattr(m, "weight", None) is not None and m.weight.dim() == 2)
check("parameters of VGG16's first dense layer", answer_1, sum(p.numel() for p in first_dense.parameters()),
      hint="inputs × units + one bias per unit; the input is 7 · 7 · 512 = 25,088 numbers")
print(f"that is {answer_1 / vgg.count_params():.0%} of VGG16's parameters")
del vgg, first_dense

# %% [markdown]
# **2.** The new head of our face model: how many parameters does `Dense(7)` have on MobileNet α=0.25's 256
# pooled features?

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
answer_2 = 256 * 7 + 7

# %% tags=["check"]
check("parameters of the new head", answer_2, transfer.layers[-1].count_params(),
      hint="256 inputs × 7 units + 7 biases")

# %% [markdown]
# **3.** Using `features["pretrained on ImageNet"]` and `cosine_neighbours`, which photo is the nearest neighbour
# of the `"golden_retriever"`? Store its class name (an entry of `photo_names`) in `answer_3`.

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
answer_3 = photo_names[cosine_neighbours(features["pretrained on ImageNet"])[photo_names.index("golden_retriever")]]

# %% tags=["check"]
unit = features["pretrained on ImageNet"] / np.linalg.norm(features["pretrained on ImageNet"], axis=1, keepdims=True)
similarity = unit @ unit[photo_names.index("golden_retriever")]
similarity[photo_names.index("golden_retriever")] = -np.inf
check("the golden retriever's nearest neighbour", answer_3, photo_names[int(similarity.argmax())],
      hint="cosine_neighbours(vectors)[i] is the index of photo i's nearest neighbour")

# %% [markdown]
# **4.** You have 100 labelled photos of your own task, similar to ImageNet photos. Should you `"freeze"` the
# pretrained base and train a new head, or `"fine-tune"` all layers from the start?

# %% tags=["exercise"]
answer_4 = ...

# %% tags=["solution"]
answer_4 = "freeze"

# %% tags=["check"]
check("with 100 photos", answer_4, "freeze",
      hint="with few data, millions of trainable weights overfit; train only the head (fine-tune later, with more data)")
check_true("the pretrained features beat random ones at finding a photo of the same group",
           same_group["pretrained on ImageNet"] > same_group["random weights"])
