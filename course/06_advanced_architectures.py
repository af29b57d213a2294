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
# # 6. Advanced architectures
#
# Five ideas beyond the plain feed-forward network, each in a short part you can run on its own data:
#
# **You will learn to**
# - add *residual connections* (`layers.Add`) and see with `glassnet.diagnose.Monitor` why they let very deep
#   networks train: the gradient reaches the first layers;
# - read a recurrent layer as one small network copied over time, with the course's weights U, W, V
#   (`glassnet.layers.unrolled`: `course_weights`, `plot_unrolled`), check one step by hand, forecast a
#   time series with an LSTM and read the sentiment of sentences with another;
# - train an *autoencoder* and use its reconstruction error to detect images unlike those it learnt from;
# - train a small *DCGAN* (a generator against a discriminator) and look at its samples;
# - fool a convnet with *adversarial examples* (FGSM): changes too small to see that flip its answer.
#
# Quick mode (`GLASSNET_COURSE_QUICK=1`) trains on fewer images for fewer epochs; the numbers in the text are
# from the full run (under 3 minutes on one CPU thread for the five parts, plus under a minute for the sentiment LSTM).
# On a GPU, raise `n_train` to 60,000 and the GAN's epochs to 30 for sharper samples.

# %%
import os
import tempfile

import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Image, display

import glassnet as keras
from glassnet import layers
from glassnet.course import check, check_true, pick, show
from glassnet.diagnose import Monitor
from glassnet.layers.unrolled import course_weights, plot_unrolled

keras.utils.set_random_seed(0)
pictures = tempfile.mkdtemp(prefix="course06_")       # where the library functions write their PNGs

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., None].astype("float32") / 255.0
x_test = x_test[..., None].astype("float32") / 255.0
n_train, n_test = pick(full=10_000, quick=2_000), pick(full=5_000, quick=1_000)
x_train, y_train, x_test, y_test = x_train[:n_train], y_train[:n_train], x_test[:n_test], y_test[:n_test]

# %% [markdown]
# ## 1. Residual connections
# Stack many layers and the gradient that reaches the first ones is a product of many factors — with
# sigmoid activations, factors of at most 0.25 (the sigmoid's largest slope): it *vanishes*, and the first
# layers stop learning.
# A residual block adds its input to its output, `a[l+2] = g(z[l+2] + a[l])`: the identity path carries the
# gradient back unchanged (the derivative of `x + f(x)` is `1 + f'(x)`), so depth stops hurting.
#
# Two networks of the same 20 dense layers (32 sigmoid units each) on MNIST; the second adds each layer's
# input to its output with `layers.Add`. A `Monitor` records every layer's gradient during training.


# %%
def deep_net(residual: bool, depth: int = 20, units: int = 32) -> keras.Model:
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Dense(units, activation="sigmoid")(layers.Flatten()(inputs))
    for _ in range(depth - 1):
        y = layers.Dense(units, activation="sigmoid")(x)
        x = layers.Add()([x, y]) if residual else y
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="residual" if residual else "plain")


monitors, residual_scores = {}, {}
for residual in (False, True):
    keras.utils.set_random_seed(0)
    net = deep_net(residual)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    monitors[net.name] = Monitor(every=20)
    net.fit(x_train, y_train, epochs=pick(full=3, quick=2), batch_size=64, verbose=0, callbacks=[monitors[net.name]])
    residual_scores[net.name] = net.evaluate(x_test, y_test, verbose=0)[1]
    if residual:
        residual_net = net
    else:
        plain_net = net
print({name: f"{accuracy:.1%}" for name, accuracy in residual_scores.items()},
      f"— parameters: plain {plain_net.count_params():,}, residual {residual_net.count_params():,}")

# %% tags=["figure"]
fig, ax = plt.subplots(figsize=(8, 3.5))
for name, monitor in monitors.items():
    per_layer = [np.mean(stats["grad_rms"]) for stats in monitor.history["layers"].values()]
    ax.semilogy(range(1, len(per_layer) + 1), per_layer, "o-", label=name)
ax.set_xlabel("layer (1 = next to the input)")
ax.set_ylabel("gradient RMS per weight")
ax.set_title("Gradient flow: 20 sigmoid layers, plain vs residual")
ax.legend()
show()

# %% [markdown]
# In the plain network the gradient shrinks by about 4× per layer on the way back to the input (the sigmoid's
# slope is at most 1/4): the first layer's gradient is some 10¹³ times smaller than the last one's, so the
# first layers do not learn. With the skip connections it stays about the same size at every depth. Full run
# (10,000 images, 3 epochs, Adam, 5,000 test digits): the plain network is stuck at chance, **11.4%**; the
# residual one, with exactly the same 45,514 parameters, reaches **86.0%**.
#
# The ResNets of chapter 5 use the same idea with convolutions: two 3×3 convolutions with batch
# normalisation, and the block's input added before the last ReLU. One block, with the functional API:

# %%
def residual_block(x, filters: int):
    shortcut = x
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    return layers.ReLU()(layers.Add()([shortcut, y]))


block_in = keras.Input(shape=(16, 16, 32))
resnet_block = keras.Model(block_in, residual_block(block_in, 32), name="resnet_block")
_ = resnet_block.summary()   # prints the table

# %% [markdown]
# ## 2. Recurrent networks: one network, copied over time
# A simple RNN reads a sequence x(1), x(2), … one step at a time and keeps a state:
# `s(t) = tanh(U x(t) + W s(t−1) + b)`, and an output layer reads it: `o(t) = V s(t) + c`.
# The same U, W, V serve at every step: drawn "unrolled", the RNN is one small network copied once per step.

# %%
rnn = layers.SimpleRNN(4, return_sequences=True)
readout = layers.Dense(2)
sequence = torch.randn(1, 5, 3)                          # one sequence of 5 steps, 3 features each
states = rnn(sequence)
outputs = readout(states)
weights = course_weights(rnn, readout)
print({name: tuple(w.shape) for name, w in weights.items()})

# one step by hand, with the course's formula
U, W, b = weights["U"], weights["W"], weights["b"]
s = torch.zeros(4)
for t in range(5):
    s = torch.tanh(U @ sequence[0, t] + W @ s + b)
    torch.testing.assert_close(s, states[0, t])
torch.testing.assert_close(weights["V"] @ s + weights["c"], outputs[0, -1])
print("s(t) = tanh(U x(t) + W s(t−1) + b) and o(t) = V s(t) + c reproduce the layer at every step")

# %% tags=["figure"]
show(plot_unrolled(rnn, steps=4, output=readout))

# %% [markdown]
# Backpropagation *through time* multiplies by W once per step, so in a long sequence the gradient vanishes
# (or explodes) just as in a deep plain network. The LSTM fixes that with a *cell state* that the network
# updates by addition, through gates — the residual idea again, along time. An LSTM has four gates, so four
# times the weights of a SimpleRNN of the same size.
#
# ### Forecasting with an LSTM
# The airline passengers (monthly totals, 1949–1960): an LSTM reads the last 12 months and predicts the next,
# for each of the last 24 months. The baseline it must beat is "the same month last year"
# (`glassnet.examples.sequences.airline_forecast`).

# %%
from glassnet.examples import sequences   # noqa: E402

forecast = sequences.airline_forecast(epochs=pick(full=100, quick=10))
print({name: round(value, 1) for name, value in forecast.scores.items()}, "(thousands of passengers)")

# %% tags=["figure"]
show(sequences.plot_forecast(forecast))

# %% [markdown]
# Full run (100 epochs): the LSTM's mean absolute error is **14.5** thousand passengers against **47.6** for
# the same month last year (quick mode's 10 epochs already beat the baseline). The character-level Shakespeare model in the same module
# (`sequences.char_language_model`, then `sequences.generate`) is the other classic: try it on a GPU.
#
# ### Reading text with an LSTM
# Many-to-one: an LSTM reads a review word by word — `TextVectorization` turns the words into ids, an
# `Embedding` turns each id into a vector of 32 numbers learnt with the rest — and its last state decides
# "positive" or "negative". The data: 3,000 labelled sentences from Amazon, IMDb and Yelp reviews
# (`glassnet.datasets.sentiment_sentences`), 600 held out. The baseline is a bag-of-words logistic regression
# (scikit-learn), which counts words and ignores their order.

# %%
reviews = sequences.sentiment(kind="lstm", epochs=pick(full=20, quick=1))  # at most; early stopping picks
print(f"LSTM held-out accuracy {reviews.accuracy:.1%}, bag of words {reviews.baseline_accuracy:.1%}")
review_texts = np.array(["The battery died after one day, a waste of money.",
                         "Great food and friendly staff, we will be back.", "The plot was boring and the acting terrible.",
                         "I loved this movie, the best this year.", "Not good at all.", "Not bad at all."], dtype=object)
review_scores = reviews.model.predict(reviews.extras["vectorize"](review_texts), verbose=0)[:, 0]

# %% tags=["figure"]
plt.figure(figsize=(8, 2.8))
plt.barh(range(len(review_texts)), review_scores, color=["C2" if p > 0.5 else "C3" for p in review_scores])
plt.yticks(range(len(review_texts)), review_texts)
plt.gca().invert_yaxis()
plt.axvline(0.5, color="0.5", linestyle="--")
plt.xlim(0, 1)
plt.xlabel("P(positive)")
plt.title("What the LSTM reads in new sentences")
show()

# %% [markdown]
# Full run (the number of epochs picked by early stopping on a dev split of the training sentences, then
# refitted on all of them; under a minute on one CPU thread): 78.0% held out against 80.5% for the bag of
# words, and over five seeds 79.0% ± 1.2% against 80.4% — with 2,400 short sentences, counting words is hard
# to beat. Look at what it makes of "Not bad at all": to learn what "not" does to "bad", a network must see
# many negations, and 2,400 sentences hold few. Recurrent networks pay off with more data and
# longer dependencies (see the README's "Sequences" section); today's text models are transformers.

# %% [markdown]
# ## 3. Autoencoders and anomaly detection
# An autoencoder squeezes its input through a small *code* and rebuilds it; trained to reproduce its input,
# it learns what is typical of its data. Here: 784 pixels → 128 → a code of 32 → 128 → 784, on digits.

# %%
from glassnet import unsupervised   # noqa: E402

keras.utils.set_random_seed(0)
autoencoder = unsupervised.dense_autoencoder((28, 28, 1), code_size=32, hidden=(128,))
autoencoder.compile(optimizer="adam", loss="mse")
autoencoder.fit(x_train, x_train, epochs=10, batch_size=32, verbose=0)

(fashion, _), _ = keras.datasets.fashion_mnist.load_data()
fashion = fashion[:n_test, ..., None].astype("float32") / 255.0
digit_errors = unsupervised.reconstruction_errors(autoencoder, x_test)
fashion_errors = unsupervised.reconstruction_errors(autoencoder, fashion)
print(f"mean reconstruction error: digits {digit_errors.mean():.4f}, clothes {fashion_errors.mean():.4f}")

# %% tags=["figure"]
unsupervised.plot_reconstructions({"digits": x_test, "rebuilt": autoencoder.predict(x_test[:10], verbose=0),
                                   "clothes": fashion, "rebuilt ": autoencoder.predict(fashion[:10], verbose=0)},
                                  os.path.join(pictures, "reconstructions.png"), n=10)
display(Image(filename=os.path.join(pictures, "reconstructions.png")))

# %% [markdown]
# It rebuilds digits well and clothes badly: it never saw clothes. The reconstruction error is therefore an
# *anomaly score*. How well does it separate the two? The area under the ROC curve (1 = perfectly, 0.5 =
# chance), against the linear baseline — PCA with the same 32 components. Full run (10,000 training digits,
# 10 epochs; 5,000 test digits against 5,000 Fashion-MNIST images): autoencoder **0.992**, PCA **0.958**.

# %%
is_anomaly = np.r_[np.zeros(len(x_test)), np.ones(len(fashion))]
auc = unsupervised.detection_auc(np.r_[digit_errors, fashion_errors], is_anomaly)
pca_errors = unsupervised.pca_reconstruction_errors(x_train, np.r_[x_test, fashion], n_components=32)
pca_auc = unsupervised.detection_auc(pca_errors, is_anomaly)
print(f"ROC-AUC, digits vs clothes: autoencoder {auc:.3f}, PCA {pca_auc:.3f}")

# %% [markdown]
# ## 4. A DCGAN: two networks in a game
# A *generator* turns random codes into images; a *discriminator* tells real images from generated ones. Each
# training step, the discriminator learns to tell them apart, then the generator learns to fool it. The DCGAN
# recipe: transposed convolutions with batch norm in the generator, strided convolutions with LeakyReLU in the
# discriminator (`glassnet.generative`).

# %%
from glassnet import generative   # noqa: E402

keras.utils.set_random_seed(0)
gan = generative.GAN(generative.dcgan_generator(32, (28, 28, 1), width=16),
                     generative.dcgan_discriminator((28, 28, 1), width=16), latent_dim=32)
gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
gan_history = gan.fit(x_train, epochs=pick(full=10, quick=1), batch_size=64, verbose=0)
print({name: [round(v, 2) for v in values] for name, values in gan_history.history.items()})

# %% tags=["figure"]
samples = gan.generate(32, seed=0)
display(Image(filename=generative.save_image_grid(samples, os.path.join(pictures, "gan_samples.png"), columns=8,
                                                  title="DCGAN samples")))

# %% [markdown]
# After quick mode's one epoch on 2,000 digits the samples are grey noise; after the full run's 10 epochs on
# 10,000 digits they are white strokes on black, some of them recognisable
# 7s, 3s and 9s. A GAN has no loss that says "done": look at the samples. The two losses only
# say that neither player wins outright.
#
# ## 5. Adversarial examples
# A small convnet reads digits well. The *fast gradient sign method* moves every pixel by ±ε in the direction
# that raises the loss most: `x' = x + ε · sign(∇ₓ loss)`. A change of ε = 0.1 (a tenth of the grey range) is
# easy to see past for a person, but not for the network:

# %%
from glassnet import adversarial   # noqa: E402

keras.utils.set_random_seed(0)
victim = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
    layers.Flatten(), layers.Dense(10, activation="softmax"),
], name="victim")
victim.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
victim.fit(x_train, y_train, epochs=pick(full=3, quick=2), batch_size=64, verbose=0)
x_attacked = adversarial.fgsm(victim, x_test, y_test, epsilon=0.1)
curve = adversarial.accuracy_vs_epsilon(victim, x_test, y_test, epsilons=[0.0, 0.05, 0.1, 0.2])
print(curve)

# %% tags=["figure"]
adversarial.plot_adversarial_examples(victim, x_test, x_attacked, path=os.path.join(pictures, "adversarial.png"),
                                      n=4, title="FGSM, epsilon = 0.1")
display(Image(filename=os.path.join(pictures, "adversarial.png")))

# %% [markdown]
# Left: the digit; middle: the change (amplified to be visible); right: what the network now reads. Full run
# (10,000 training digits, 3 epochs): **94.5%** on clean test digits, 86.1% at ε = 0.05, **69.2%** at ε = 0.1
# and 17.4% at ε = 0.2 — although the digits stay obvious to us. Adversarial training
# (`adversarial.AdversarialTraining`) trains on such examples and makes the network harder to fool.
#
# ## Exercises
# **1.** How many parameters does one skip connection (`layers.Add`) add to a network? Compare the two deep
# networks' `count_params()` if unsure.

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
answer_1 = 0

# %% tags=["check"]
check("parameters added by the 19 skip connections", answer_1 * 19,
      residual_net.count_params() - plain_net.count_params(),
      hint="Add only sums its inputs: it has no weights")

# %% [markdown]
# **2.** How many parameters has `SimpleRNN(8)` reading sequences of 3 features? (U is 8×3, W is 8×8, plus
# biases.) Check your formula against glassnet.

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
rnn_8 = layers.SimpleRNN(8)
rnn_8(torch.zeros(1, 5, 3))
answer_2 = sum(int(np.prod(w.shape)) for w in rnn_8.get_weights())

# %% tags=["check"]
check("parameters of SimpleRNN(8) on 3 features",
      answer_2, keras.Sequential([keras.Input(shape=(5, 3)), layers.SimpleRNN(8)]).count_params(),
      hint="8·3 (U) + 8·8 (W) + the biases: look at course_weights(...) of a built layer")

# %% [markdown]
# **3.** Write FGSM yourself for the first 16 test digits with ε = 0.1: the gradient of the loss with respect to
# the *input* (torch autograd: `x.requires_grad_(True)`, `loss.backward()`, then `x.grad`), its sign, the step,
# and a clip to [0, 1]. Use the loss `torch.nn.functional.nll_loss(torch.log(victim(x)), y, reduction="sum")`.

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
victim.eval()
x = torch.tensor(x_test[:16]).requires_grad_(True)
loss = torch.nn.functional.nll_loss(torch.log(victim(x)), torch.tensor(y_test[:16]).long(), reduction="sum")
loss.backward()
answer_3 = (x + 0.1 * x.grad.sign()).clamp(0, 1).detach().numpy()

# %% tags=["check"]
check("your FGSM images", answer_3, adversarial.fgsm(victim, x_test[:16], y_test[:16], epsilon=0.1), atol=1e-5,
      hint="x + epsilon * sign(gradient of the loss with respect to x), clipped to [0, 1]")

# %% [markdown]
# **4.** Turn the autoencoder into a detector: choose a threshold on the reconstruction error so that at most 5%
# of the test *digits* are flagged (hint: a percentile of `digit_errors`). Store it in `answer_4`. What fraction
# of the clothes does it flag?

# %% tags=["exercise"]
answer_4 = ...

# %% tags=["solution"]
answer_4 = float(np.percentile(digit_errors, 95))

# %% tags=["check"]
print(f"flagged: {np.mean(digit_errors > answer_4):.1%} of digits, {np.mean(fashion_errors > answer_4):.1%} of clothes")
check_true("at most 5% of the digits flagged, and more clothes than digits",
           np.mean(digit_errors > answer_4) <= 0.05 and np.mean(fashion_errors > answer_4) > 0.05,
           hint="np.percentile(digit_errors, 95)")
