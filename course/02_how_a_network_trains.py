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
# # 2. How a network trains
#
# Chapter 1 called `fit` and the network learned. This chapter opens the box: we write the pieces by hand
# in plain torch tensors and check every number against PyTorch's own machinery.
#
# **You will learn to**
# - train Rosenblatt's perceptron (checked against scikit-learn); write logistic regression, softmax
#   regression and a two-layer network from scratch: the forward pass, and the backward pass by the chain
#   rule — checked value by value against autograd;
# - see a loss surface, and the paths that SGD, momentum, RMSProp and Adam take across it — each optimizer
#   written from scratch and checked against `torch.optim`, step by step;
# - understand the exponentially weighted moving average behind momentum and Adam (β = 0.9 ≈ the last 10
#   values);
# - choose a mini-batch size and a learning rate (`glassnet.diagnose.lr_find`), and search for it the
#   "panda" way (babysit one model) and the "caviar" way (a random search on a log scale, `glassnet.tune`);
# - know the activations (sigmoid, tanh, ReLU, leaky ReLU, softmax) and their derivatives, see gradients
#   vanish in a deep sigmoid network (`glassnet.diagnose.Monitor`) and how ReLU with He initialisation fixes it;
# - use dropout, a train/dev/test split and the bias/variance recipe.
#
# Quick mode (`GLASSNET_COURSE_QUICK=1`) uses fewer epochs; the numbers in the text are from the full run
# (2 CPU cores). On a GPU the glassnet parts train there by themselves (the hand-written ones stay on the
# CPU: they are tiny); accuracies come out close, not identical (GPU kernels round differently), and large
# batches get cheap (see the batch-size part).
# Figures appear with `show()` from `glassnet.course` (`plt.show()` works as well in JupyterLab).

# %%
import time

import numpy as np
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_moons

import glassnet as keras
from glassnet import layers
from glassnet.course import check, pick, show
from glassnet.diagnose import Monitor, bias_variance, lr_find

keras.utils.set_random_seed(0)
torch.set_default_dtype(torch.float64)   # float64 here: hand-written and autograd gradients agree to ~1e-12

# %% [markdown]
# ## Rosenblatt's perceptron
# The first neuron that learned (1958): a weighted sum and a *step* activation, `ŷ = +1 if x·w + b > 0 else −1`.
# Its learning rule needs no derivative: go through the examples, and for each one on the wrong side of the
# line (`y (x·w + b) ≤ 0`) move the line towards it, `w ← w + y x`, `b ← b + y`. If a straight line can
# separate the two classes the rule finds one in a finite number of passes; if none can (the moons below,
# or XOR) it never settles. scikit-learn's `Perceptron` runs the same rule: the weights must agree.

# %%
from sklearn.datasets import make_blobs
from sklearn.linear_model import Perceptron

blob_x, blob_y = make_blobs(n_samples=100, centers=[(-1, -0.5), (1, 0.8)], cluster_std=0.55, random_state=4)
signs = 2 * blob_y - 1                      # the perceptron's labels: −1 and +1
w_step, b_step, mistakes = np.zeros(2), 0.0, []
for epoch in range(10):
    wrong = 0
    for xi, yi in zip(blob_x, signs):
        if yi * (xi @ w_step + b_step) <= 0:   # wrong side (or on the line): move the line towards xi
            w_step, b_step, wrong = w_step + yi * xi, b_step + yi, wrong + 1
    mistakes.append(wrong)
sklearn_perceptron = Perceptron(eta0=1.0, max_iter=10, tol=None, shuffle=False, penalty=None).fit(blob_x, blob_y)
np.testing.assert_allclose(w_step, sklearn_perceptron.coef_[0])
np.testing.assert_allclose(b_step, sklearn_perceptron.intercept_[0])
print("mistakes per pass:", mistakes, "— weights", w_step.round(3), b_step, "= scikit-learn's")

# %% tags=["figure"]
fig, (ax_line, ax_mistakes) = plt.subplots(1, 2, figsize=(11, 3.5))
for label, colour in ((0, "C0"), (1, "C3")):
    ax_line.scatter(*blob_x[blob_y == label].T, color=colour, s=20, label=f"y = {2 * label - 1:+d}")
line_u = np.linspace(blob_x[:, 0].min(), blob_x[:, 0].max(), 2)
ax_line.plot(line_u, -(w_step[0] * line_u + b_step) / w_step[1], "k-", label="x·w + b = 0")
ax_line.set_ylim(blob_x[:, 1].min() - 0.3, blob_x[:, 1].max() + 0.3)
ax_line.legend(fontsize=8)
ax_line.set_title("the perceptron's line")
ax_mistakes.bar(range(1, len(mistakes) + 1), mistakes)
ax_mistakes.set_xlabel("pass over the data")
ax_mistakes.set_ylabel("mistakes (updates)")
ax_mistakes.set_title("separable data: the updates stop")
show()

# %% [markdown]
# ## A sigmoid perceptron (logistic regression), by hand
# A perceptron (here with a sigmoid: *logistic regression*) computes `p = σ(x·w + b)`, the probability of
# class 1. Its loss on N examples is the binary cross-entropy `L = −mean(y log p + (1−y) log(1−p))`.
# The chain rule gives the gradient in one line, because σ'(z) = σ(z)(1 − σ(z)) cancels nicely:
# `∂L/∂z = (p − y)/N`, so `∂L/∂w = xᵀ(p − y)/N` and `∂L/∂b = Σ(p − y)/N`.

# %%
x_np, y_np = make_moons(n_samples=200, noise=0.2, random_state=0)
x = torch.tensor(x_np)
y = torch.tensor(y_np, dtype=torch.float64)


def perceptron_forward(x, w, b):
    return torch.sigmoid(x @ w + b)


def perceptron_loss(p, y):
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()


def perceptron_backward(x, y, p):
    dz = (p - y) / len(y)
    return x.T @ dz, dz.sum()


w, b = torch.tensor([0.5, -0.3]), torch.tensor(0.1)
p = perceptron_forward(x, w, b)
grad_w, grad_b = perceptron_backward(x, y, p)

# the same gradients from autograd
w_auto, b_auto = w.clone().requires_grad_(), b.clone().requires_grad_()
perceptron_loss(perceptron_forward(x, w_auto, b_auto), y).backward()
torch.testing.assert_close(grad_w, w_auto.grad)
torch.testing.assert_close(grad_b, b_auto.grad)
print("by hand: ", grad_w.numpy(), float(grad_b))
print("autograd:", w_auto.grad.numpy(), float(b_auto.grad))

# %% [markdown]
# ## A two-layer network, by hand
# One hidden layer of tanh units, then a softmax over the two classes:
#
# `Z1 = X W1 + b1`, `A1 = tanh(Z1)`, `Z2 = A1 W2 + b2`, `P = softmax(Z2)`, `L = −mean log P[y]`.
#
# Backward, one chain-rule step per line (Y is the one-hot labels; tanh' = 1 − tanh²):
# `dZ2 = (P − Y)/N`, `dW2 = A1ᵀ dZ2`, `db2 = Σ dZ2`, `dA1 = dZ2 W2ᵀ`, `dZ1 = dA1 ⊙ (1 − A1²)`,
# `dW1 = Xᵀ dZ1`, `db1 = Σ dZ1`.

# %%
def two_layer_forward(x, params):
    w1, b1, w2, b2 = params
    a1 = torch.tanh(x @ w1 + b1)
    z2 = a1 @ w2 + b2
    return a1, torch.softmax(z2, dim=1)


def two_layer_loss(probs, labels):
    return -torch.log(probs[torch.arange(len(labels)), labels]).mean()


def two_layer_backward(x, labels, params, a1, probs):
    w1, b1, w2, b2 = params
    dz2 = (probs - torch.nn.functional.one_hot(labels, probs.shape[1])) / len(labels)
    dw2, db2 = a1.T @ dz2, dz2.sum(0)
    dz1 = (dz2 @ w2.T) * (1 - a1 ** 2)
    dw1, db1 = x.T @ dz1, dz1.sum(0)
    return [dw1, db1, dw2, db2]


generator = torch.Generator().manual_seed(0)
hidden = 16
params = [torch.randn(2, hidden, generator=generator) * 0.5, torch.zeros(hidden),
          torch.randn(hidden, 2, generator=generator) * 0.5, torch.zeros(2)]
labels = y.long()
a1, probs = two_layer_forward(x, params)
by_hand = two_layer_backward(x, labels, params, a1, probs)

auto = [p.clone().requires_grad_() for p in params]
two_layer_loss(two_layer_forward(x, auto)[1], labels).backward()
for name, mine, theirs in zip(["W1", "b1", "W2", "b2"], by_hand, auto):
    torch.testing.assert_close(mine, theirs.grad)
    print(f"{name}: largest difference from autograd {float((mine - theirs.grad).abs().max()):.1e}")

# %% [markdown]
# Every gradient agrees with autograd to rounding. Now train it with plain gradient descent — `w ← w − lr·∂L/∂w`,
# nothing else — and watch the decision boundary bend around the two moons.

# %%
learning_rate, losses = 1.0, []
for step in range(pick(full=2000, quick=500)):
    a1, probs = two_layer_forward(x, params)
    losses.append(float(two_layer_loss(probs, labels)))
    grads = two_layer_backward(x, labels, params, a1, probs)
    params = [p - learning_rate * g for p, g in zip(params, grads)]
moons_accuracy = float((two_layer_forward(x, params)[1].argmax(1) == labels).double().mean())
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, training accuracy {moons_accuracy:.1%}")  # full run: 98.5%

# %% tags=["figure"]
grid_u, grid_v = np.meshgrid(np.linspace(-1.5, 2.5, 200), np.linspace(-1.0, 1.5, 200))
grid = torch.tensor(np.c_[grid_u.ravel(), grid_v.ravel()])
class_1 = two_layer_forward(grid, params)[1][:, 1].reshape(grid_u.shape).numpy()
fig, (ax_loss, ax_map) = plt.subplots(1, 2, figsize=(11, 4))
ax_loss.plot(losses)
ax_loss.set_xlabel("gradient-descent step")
ax_loss.set_ylabel("cross-entropy")
ax_loss.set_title("the loss falls")
ax_map.contourf(grid_u, grid_v, class_1, levels=20, cmap="RdBu_r", alpha=0.6)
ax_map.scatter(x_np[:, 0], x_np[:, 1], c=y_np, cmap="RdBu_r", edgecolors="k", s=15)
ax_map.set_title("P(class 1) of the hand-made network")
show()

# %% [markdown]
# ## The loss surface
# The loss is a function of the weights. With two weights we can draw it: here the perceptron's loss over
# (w1, w2), with b = 0. Training is a walk downhill on this surface.

# %%
w1_axis, w2_axis = np.linspace(-4, 6, 101), np.linspace(-8, 4, 101)
surface = np.array([[float(perceptron_loss(perceptron_forward(x, torch.tensor([u, v]), 0.0), y))
                     for u in w1_axis] for v in w2_axis])
best = np.unravel_index(surface.argmin(), surface.shape)
print(f"lowest loss on the grid: {surface.min():.3f} at w = ({w1_axis[best[1]]:.1f}, {w2_axis[best[0]]:.1f})")

# %% tags=["figure"]
fig = plt.figure(figsize=(11, 4))
ax3d = fig.add_subplot(1, 2, 1, projection="3d")
U, V = np.meshgrid(w1_axis, w2_axis)
ax3d.plot_surface(U, V, surface, cmap="viridis", linewidth=0)
ax3d.set_xlabel("w1")
ax3d.set_ylabel("w2")
ax3d.set_title("perceptron loss")
ax2d = fig.add_subplot(1, 2, 2)
contour = ax2d.contour(U, V, surface, levels=30, cmap="viridis")
ax2d.plot(w1_axis[best[1]], w2_axis[best[0]], "r*", markersize=12)
ax2d.set_xlabel("w1")
ax2d.set_ylabel("w2")
ax2d.set_title("the same, seen from above (★ lowest)")
show()

# %% [markdown]
# ## Four optimizers, from scratch
# Gradient descent follows the slope. On a long narrow valley — the usual shape when weights have different
# scales — plain SGD zig-zags across the valley and crawls along it. The fixes:
#
# - **momentum**: keep a running average of the gradients, `v ← β v + g`, step `w ← w − lr·v` (this is
#   PyTorch's form; the lecture's `v ← β v + (1−β) g` is the same with the learning rate scaled by 1/(1−β));
#   the zig-zags cancel, the steady direction adds up;
# - **RMSProp**: divide each weight's step by the root of a running average of its squared gradients,
#   `s ← α s + (1−α) g²`, `w ← w − lr·g / (√s + ε)`: steep directions get smaller steps, flat ones larger;
# - **Adam**: both, with bias correction for the averages' start at 0: `m ← β1 m + (1−β1) g`,
#   `v ← β2 v + (1−β2) g²`, `m̂ = m/(1−β1ᵗ)`, `v̂ = v/(1−β2ᵗ)`, `w ← w − lr·m̂/(√v̂ + ε)`, with the paper's
#   β1 = 0.9, β2 = 0.999, ε = 1e-8.

# %%
def valley(w):
    """A long narrow valley: 100 times steeper across (w2) than along (w1)."""
    return 0.01 * w[0] ** 2 + 1.0 * w[1] ** 2


def valley_gradient(w):
    return torch.stack([0.02 * w[0], 2.0 * w[1]])


def sgd(w, lr, steps):
    path = [w]
    for _ in range(steps):
        w = w - lr * valley_gradient(w)
        path.append(w)
    return torch.stack(path)


def momentum(w, lr, steps, beta=0.9):
    path, v = [w], torch.zeros_like(w)
    for _ in range(steps):
        v = beta * v + valley_gradient(w)
        w = w - lr * v
        path.append(w)
    return torch.stack(path)


def rmsprop(w, lr, steps, alpha=0.99, eps=1e-8):
    path, s = [w], torch.zeros_like(w)
    for _ in range(steps):
        g = valley_gradient(w)
        s = alpha * s + (1 - alpha) * g ** 2
        w = w - lr * g / (s.sqrt() + eps)
        path.append(w)
    return torch.stack(path)


def adam(w, lr, steps, beta1=0.9, beta2=0.999, eps=1e-8):
    path, m, v = [w], torch.zeros_like(w), torch.zeros_like(w)
    for t in range(1, steps + 1):
        g = valley_gradient(w)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        w = w - lr * m_hat / (v_hat.sqrt() + eps)
        path.append(w)
    return torch.stack(path)


def torch_path(make_optimizer, start, steps):
    """The same walk with a torch.optim optimizer and autograd."""
    w = start.clone().requires_grad_()
    optimizer, path = make_optimizer([w]), [start.clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        valley(w).backward()
        optimizer.step()
        path.append(w.detach().clone())
    return torch.stack(path)


start, steps = torch.tensor([-9.0, 2.0]), 60
paths = {
    "SGD (lr 0.9)": (sgd(start, 0.9, steps), torch_path(lambda p: torch.optim.SGD(p, lr=0.9), start, steps)),
    "momentum (lr 0.2, β 0.9)": (momentum(start, 0.2, steps),
                                 torch_path(lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.9), start, steps)),
    "RMSProp (lr 0.3)": (rmsprop(start, 0.3, steps),
                         torch_path(lambda p: torch.optim.RMSprop(p, lr=0.3, alpha=0.99, eps=1e-8), start, steps)),
    "Adam (lr 0.5)": (adam(start, 0.5, steps), torch_path(lambda p: torch.optim.Adam(p, lr=0.5), start, steps)),
}
for name, (mine, theirs) in paths.items():
    torch.testing.assert_close(mine, theirs)
    print(f"{name:26s} same {steps} steps as torch.optim (largest difference {float((mine - theirs).abs().max()):.1e}); "
          f"final loss {float(valley(mine[-1])):.2e}")

# %% tags=["figure"]
U, V = np.meshgrid(np.linspace(-10, 10, 200), np.linspace(-3, 3, 200))
fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True, sharey=True)
for ax, (name, (mine, _)) in zip(axes.flat, paths.items()):
    ax.contour(U, V, 0.01 * U ** 2 + V ** 2, levels=25, cmap="Greys", linewidths=0.6)
    ax.plot(mine[:, 0], mine[:, 1], "o-", markersize=3, color="C3")
    ax.plot(0, 0, "k*", markersize=10)
    ax.set_title(f"{name}: loss {float(valley(mine[-1])):.1e} after {steps} steps")
fig.suptitle("Paths on a narrow valley (★ the minimum)")
plt.tight_layout()
show()

# %% [markdown]
# SGD's learning rate is capped by the steep direction (above 1.0 it would diverge across the valley), so it
# zig-zags and barely moves along the flat one. Momentum accumulates speed along the valley; RMSProp and Adam
# rescale each direction so both move at a similar pace.
#
# ## The exponentially weighted moving average
# Momentum, RMSProp and Adam all keep a running average `v_t = β v_(t−1) + (1−β) θ_t`. It weighs the value
# k steps back by (1−β)βᵏ, and βᵏ falls to 1/e ≈ 0.37 after about k = 1/(1−β) steps — so the average
# "remembers" roughly the last 1/(1−β) values: β = 0.9 ≈ 10 values, 0.98 ≈ 50, 0.5 ≈ 2. Because v starts at
# 0, the first values are too small; dividing by (1 − βᵗ) — *bias correction* — fixes the start.

# %%
days = np.arange(365)
rng = np.random.default_rng(0)
temperature = 12 - 10 * np.cos(2 * np.pi * (days - 15) / 365) + rng.normal(0, 3, len(days))


def moving_average(values, beta, bias_correction=True):
    average, out = 0.0, []
    for t, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta ** t) if bias_correction else average)
    return np.array(out)


for beta in (0.5, 0.9, 0.98):
    print(f"β = {beta}: remembers about 1/(1−β) = {1 / (1 - beta):.0f} values")

# %% tags=["figure"]
fig, (ax_all, ax_start) = plt.subplots(1, 2, figsize=(12, 4))
ax_all.plot(days, temperature, ".", color="0.7", markersize=3, label="daily value")
for beta, colour in ((0.5, "C2"), (0.9, "C3"), (0.98, "C0")):
    ax_all.plot(days, moving_average(temperature, beta), color=colour, label=f"β = {beta} (≈ {1 / (1 - beta):.0f} values)")
ax_all.legend()
ax_all.set_xlabel("day")
ax_all.set_title("smoother and later as β grows")
ax_start.plot(days[:60], temperature[:60], ".", color="0.7")
ax_start.plot(days[:60], moving_average(temperature, 0.98, bias_correction=False)[:60], color="C1",
              label="β = 0.98, no bias correction")
ax_start.plot(days[:60], moving_average(temperature, 0.98)[:60], color="C0", label="β = 0.98, bias-corrected")
ax_start.legend()
ax_start.set_xlabel("day")
ax_start.set_title("the start: v₀ = 0 drags the average down")
show()

# %% [markdown]
# ## Mini-batches and the learning rate, on real digits
# Back to glassnet, on scikit-learn's 8×8 digits (1,797 images — small enough to try many settings).
# Batch gradient descent uses all examples per step: accurate steps, but few of them. Mini-batches take
# many noisy steps per epoch; with 1 example per step (stochastic gradient descent) the steps get very noisy
# and nothing runs in parallel. Sizes of 32–512 (powers of 2, fitting the GPU's memory) are the usual middle.

# %%
(digits_x, digits_y), (digits_x_test, digits_y_test) = keras.datasets.digits.load_data()
digits_x = digits_x.reshape(len(digits_x), 64).astype("float32") / 255.0
digits_x_test = digits_x_test.reshape(len(digits_x_test), 64).astype("float32") / 255.0
torch.set_default_dtype(torch.float32)   # back to the usual float32 for glassnet models


def digits_net(activation="relu", initializer="he_normal", depth=1, units=64, dropout=0.0):
    return keras.Sequential([keras.Input(shape=(64,)),
                             *[layer for _ in range(depth) for layer in
                               ([layers.Dense(units, activation=activation, kernel_initializer=initializer)]
                                + ([layers.Dropout(dropout)] if dropout else []))],
                             layers.Dense(10, activation="softmax")])


batch_runs = {}
for batch_size in (8, 64, len(digits_x)):
    keras.utils.set_random_seed(0)
    net = digits_net()
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    began = time.perf_counter()
    history = net.fit(digits_x, digits_y, epochs=pick(full=30, quick=8), batch_size=batch_size, verbose=0)
    batch_runs[batch_size] = (history.history["loss"], time.perf_counter() - began)
    print(f"batch size {batch_size:5d}: final loss {history.history['loss'][-1]:.3f}, "
          f"{len(history.history['loss'])} epochs in {batch_runs[batch_size][1]:.1f} s")

# %% tags=["figure"]
plt.figure(figsize=(6, 3.5))
for batch_size, (loss_curve, seconds) in batch_runs.items():
    plt.plot(loss_curve, label=f"batch {batch_size} ({seconds:.1f} s)")
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.legend()
plt.title("Same epochs, different batch sizes (SGD, lr 0.1)")
show()

# %% [markdown]
# Per *epoch*, small batches learn far more (more steps); per *second* the picture depends on the hardware —
# on a GPU a batch of 64 costs about as much as a batch of 8. Full run (30 epochs, 2 CPU cores): final loss
# 0.013 with batches of 8 (47 s), 0.11 with 64 (7 s), 1.49 with the full batch (0.6 s) — only 30 steps.
#
# How large a learning rate? `lr_find` trains for one short sweep while raising the learning rate
# exponentially, records the loss, and restores the weights afterwards. Pick a rate where the loss falls
# fastest — well below where it shoots up.

# %%
keras.utils.set_random_seed(0)
finder_net = digits_net()
finder_net.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
found = lr_find(finder_net, digits_x, digits_y, start=1e-4, end=10, steps=100, batch_size=32)
print(found)

# %% tags=["figure"]
show(found.plot())

# %%
rate_runs = {}
for rate in (1e-3, found.suggestion, 3.0):
    keras.utils.set_random_seed(0)
    net = digits_net()
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=rate), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    rate_runs[rate] = net.fit(digits_x, digits_y, epochs=pick(full=20, quick=5), batch_size=32, verbose=0,
                              validation_data=(digits_x_test, digits_y_test)).history
    print(f"lr {rate:.2g}: dev accuracy {rate_runs[rate]['val_accuracy'][-1]:.1%}")

# %% [markdown]
# Full run (20 epochs): dev accuracy 38% with lr 0.001 (still crawling), 96% with the finder's suggestion
# (0.43), and 10% — chance — with lr 3, where the loss blows up.

# %% tags=["figure"]
plt.figure(figsize=(6, 3.5))
for rate, history in rate_runs.items():
    plt.plot(history["loss"], label=f"lr {rate:.2g}")
plt.yscale("log")
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.legend()
plt.title("Too small crawls, too large jumps around")
show()

# %% [markdown]
# ## Panda or caviar: searching for the learning rate
# Two ways to tune hyper-parameters. **Panda**: babysit one model — watch its dev accuracy day after day and
# nudge the learning rate by hand (up when it crawls, down when it overshoots) — when compute is scarce.
# **Caviar**: train many models in parallel with different settings and keep the best — when compute is
# plentiful. Either way, try values at **random**, not on a grid (a grid tries only a few distinct values of
# the hyper-parameter that matters most), and on the right **scale**. A learning rate between 0.0001 and 1
# sampled *uniformly* lands between 0.1 and 1 nine times in ten; sample its exponent instead —
# `r` uniform in [−4, 0], `lr = 10**r` — and each decade gets a quarter of the tries.

# %%
rng = np.random.default_rng(0)
decades = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
uniform_rates = rng.uniform(1e-4, 1.0, 1000)
log_rates = 10 ** rng.uniform(-4, 0, 1000)
print("share of 1000 tries per decade [1e-4, 1e-3), [1e-3, 1e-2), [1e-2, 0.1), [0.1, 1):")
print("  uniform:    ", np.histogram(uniform_rates, decades)[0] / 1000)
print("  log scale:  ", np.histogram(log_rates, decades)[0] / 1000)

# %% [markdown]
# The caviar way, with `glassnet.tune.search` (Optuna underneath): every trial builds a fresh network whose
# SGD learning rate is drawn on a log scale (`trial.suggest_float(..., log=True)`), trains it, and is scored
# on a dev set held out from training. `RandomSampler` makes it the lecture's random search (the default,
# TPE, learns from the finished trials where to look next). A rate so large that the loss becomes NaN ends
# its trial early, marked "pruned (diverged)".

# %%
import optuna

from glassnet.tune import search

search_x, search_y = digits_x[:pick(full=1000, quick=400)], digits_y[:pick(full=1000, quick=400)]
search_dev = (digits_x[1000:], digits_y[1000:])     # 438 dev digits, never trained on
search_epochs = pick(full=10, quick=3)


def build_digits_net(trial):
    net = digits_net()
    rate = trial.suggest_float("learning_rate", 1e-4, 10.0, log=True)
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=rate), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    return net


caviar = search(build_digits_net, search_x, search_y, validation_data=search_dev,
                n_trials=pick(full=20, quick=4), epochs=search_epochs, batch_size=32, objective="val_accuracy",
                sampler=optuna.samplers.RandomSampler(seed=0), pruner=None, seed=0, plots=False, verbose=0)
caviar

# %% [markdown]
# The panda way: one network, trained one epoch ("day") at a time. After each day we look at the dev
# accuracy and adjust the learning rate as a careful babysitter would: it fell → the rate was too large,
# divide it by 3; it rose by less than 2 points → too timid, multiply it by 3; otherwise leave it.

# %%
keras.utils.set_random_seed(0)
panda = digits_net()
panda.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
panda_days, best_so_far = [], 0.0
for day in range(2 * search_epochs):
    rate = float(panda.optimizer.learning_rate)
    dev_accuracy = panda.fit(search_x, search_y, epochs=1, batch_size=32, verbose=0,
                             validation_data=search_dev).history["val_accuracy"][-1]
    panda_days.append((rate, dev_accuracy))
    if dev_accuracy < best_so_far:
        panda.optimizer.learning_rate = rate / 3
    elif dev_accuracy < best_so_far + 0.02:
        panda.optimizer.learning_rate = rate * 3
    best_so_far = max(best_so_far, dev_accuracy)
print(f"panda: {len(panda_days)} epochs of one model, dev accuracy {panda_days[-1][1]:.1%} "
      f"at lr {panda_days[-1][0]:.2g}")
print(f"caviar: {len(caviar.trials)} models × {search_epochs} epochs, best dev accuracy {caviar.best_value:.1%} "
      f"at lr {caviar.best_params['learning_rate']:.2g}")

# %% tags=["figure"]
fig, (ax_draws, ax_panda, ax_caviar) = plt.subplots(1, 3, figsize=(15, 3.8))
bins = np.logspace(-4, 0, 17)
ax_draws.hist(uniform_rates, bins=bins, alpha=0.6, label="uniform in [0.0001, 1]")
ax_draws.hist(log_rates, bins=bins, alpha=0.6, label="10**uniform(−4, 0)")
ax_draws.set_xscale("log")
ax_draws.set_xlabel("learning rate")
ax_draws.set_ylabel("tries (of 1000)")
ax_draws.legend(fontsize=8)
ax_draws.set_title("where the tries land")
panda_rates, panda_scores = zip(*panda_days)
ax_panda.plot(range(1, len(panda_days) + 1), panda_scores, "o-", color="C2")
changes = [day for day in range(1, len(panda_days) + 1) if day == 1 or panda_rates[day - 1] != panda_rates[day - 2]]
for k, day in enumerate(changes):
    ax_panda.annotate(f"lr {panda_rates[day - 1]:.2g}", (day, panda_scores[day - 1]), textcoords="offset points",
                      xytext=(-4, 10) if k % 2 else (6, -14), fontsize=8, ha="center")
ax_panda.set_xlabel("day (epoch)")
ax_panda.set_ylabel("dev accuracy")
ax_panda.set_ylim(0, 1.05)
ax_panda.set_title("panda: one model, lr nudged by hand")
finished = [t for t in caviar.trials if t.value is not None]
ax_caviar.scatter([t.params["learning_rate"] for t in finished], [t.value for t in finished], color="C0")
diverged = [t.params["learning_rate"] for t in caviar.trials if t.value is None]
if diverged:
    ax_caviar.scatter(diverged, [0] * len(diverged), marker="x", color="C3", label="diverged (NaN loss)")
ax_caviar.plot(caviar.best_params["learning_rate"], caviar.best_value, "*", color="C1", markersize=16,
               label=f"best: lr {caviar.best_params['learning_rate']:.2g}")
ax_caviar.set_xscale("log")
ax_caviar.set_xlabel("learning rate (log scale)")
ax_caviar.set_ylabel(f"dev accuracy after {search_epochs} epochs")
ax_caviar.set_ylim(-0.05, 1.05)
ax_caviar.legend(fontsize=8)
ax_caviar.set_title(f"caviar: {len(caviar.trials)} models, keep the best")
show()

# %% [markdown]
# On a log axis the trials draw the learning rate's whole story: below 0.001 almost nothing is learned in
# 10 epochs, the good rates form a broad plateau from about 0.05 to 1, and above 1 the steps overshoot and
# accuracy falls to chance. Full run (1,000 training digits, 2 CPU cores, 40 s in all): the best of 20 random
# trials reached 97.5% dev accuracy (lr 0.91); the panda, nudged from lr 0.001 up to 0.24 over 20 days, 91.1%.
# The panda needs a tenth of the compute but a day of attention per epoch, and where it ends depends on
# where it started; the caviar search sees the whole curve at once (and `workers=`, or several machines on
# one study, trains the models in parallel — see the README's "Search" section).

# %% [markdown]
# ## Activations and their derivatives
# Without a non-linear activation, layers stacked on layers are still one linear map. The classics, with
# derivatives computed by autograd:
#
# - sigmoid σ(z) = 1/(1+e⁻ᶻ): σ' = σ(1−σ), at most 0.25;
# - tanh: tanh' = 1 − tanh², at most 1, centred at 0;
# - ReLU max(0, z): slope 1 for z > 0, 0 below — cheap, and does not saturate for positive z;
# - leaky ReLU max(αz, z): a small slope α (here 0.1) instead of 0, so no unit is ever "dead".

# %%
z = torch.linspace(-5, 5, 401, requires_grad=True)
activations = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "ReLU": torch.relu,
               "leaky ReLU (α = 0.1)": lambda t: torch.nn.functional.leaky_relu(t, 0.1)}
curves = {}
for name, function in activations.items():
    value = function(z)
    (slope,) = torch.autograd.grad(value.sum(), z)
    curves[name] = (value.detach().numpy(), slope.numpy())
    print(f"{name:22s} largest slope {slope.max():.2f}")

# %% tags=["figure"]
fig, axes = plt.subplots(1, 4, figsize=(14, 3), sharey=True)
for ax, (name, (value, slope)) in zip(axes, curves.items()):
    ax.plot(z.detach(), value, label="g(z)")
    ax.plot(z.detach(), slope, "--", label="g'(z)")
    ax.axhline(0, color="0.8", linewidth=0.8)
    ax.set_title(name)
    ax.set_xlabel("z")
axes[0].legend()
show()

# %% [markdown]
# For the output of a classifier, **softmax** turns K scores into probabilities: `exp(z_k) / Σ exp(z_j)`.
# Its name says what it is: a *soft* version of **hardmax**, which puts 1 on the largest score and 0 elsewhere.
# Softmax keeps the information about how sure the network is, and it has a gradient; hardmax has none.

# %%
scores = torch.tensor([5.0, 2.0, -1.0, 3.0])
softmax = torch.softmax(scores, dim=0)
hardmax = torch.nn.functional.one_hot(scores.argmax(), len(scores)).float()
print("scores ", scores.numpy())
print("softmax", softmax.numpy().round(3), "sum", float(softmax.sum()))
print("hardmax", hardmax.numpy())
print("softmax of 3× the scores (sharper, nearer hardmax):", torch.softmax(3 * scores, dim=0).numpy().round(3))

# %% [markdown]
# ## Softmax regression: logistic regression for K classes
# Logistic regression (the sigmoid perceptron above) separates two classes. For K classes, give each class
# its own weights and turn the K scores into probabilities with a softmax: `P = softmax(X W + b)`, trained with
# the cross-entropy `L = −mean log P[y]` — a network with no hidden layer. The gradient is the two-class one
# again, `∂L/∂W = Xᵀ(P − Y)/N` (Y one-hot). By hand on the 8×8 digits, checked against autograd, then trained:

# %%
digits_inputs, digits_labels = torch.tensor(digits_x), torch.tensor(digits_y, dtype=torch.long)
soft_w, soft_b = torch.zeros(64, 10), torch.zeros(10)
for step in range(pick(full=500, quick=100)):
    soft_p = torch.softmax(digits_inputs @ soft_w + soft_b, dim=1)
    soft_dz = (soft_p - torch.nn.functional.one_hot(digits_labels, 10)) / len(digits_labels)
    if step == 0:   # the first gradient, against autograd's
        w_auto = soft_w.clone().requires_grad_()
        torch.nn.functional.cross_entropy(digits_inputs @ w_auto + soft_b, digits_labels).backward()
        torch.testing.assert_close(digits_inputs.T @ soft_dz, w_auto.grad)
    soft_w, soft_b = soft_w - 2.0 * digits_inputs.T @ soft_dz, soft_b - 2.0 * soft_dz.sum(0)
soft_test = (torch.tensor(digits_x_test) @ soft_w + soft_b).argmax(1).numpy()
print(f"softmax regression by hand: test accuracy {(soft_test == digits_y_test).mean():.1%}")  # full run: 95.3%

# %% tags=["figure"]
fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
limit = float(soft_w.abs().max())            # 0 is white: the colours say the weight's sign
for digit, ax in enumerate(axes):
    ax.imshow(soft_w[:, digit].reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(digit)
    ax.axis("off")
fig.suptitle("each class's weights as an image: red pixels vote for the class, blue against", y=1.1)
show()

# %% [markdown]
# ## Vanishing gradients, seen by the Monitor
# In a deep sigmoid network each layer multiplies the backward signal by σ' ≤ 0.25 (and by the weights):
# after 10 layers the first layers' gradients are thousands of times smaller than the last's, and they barely
# learn. `glassnet.diagnose.Monitor` is a callback that samples a few steps and records each layer's gradient
# size; its findings name the problem and the fix. We train the same 10-layer network twice: sigmoid with
# Keras' default Xavier (Glorot) initialisation, and ReLU with He initialisation.

# %%
deep_runs = {}
for activation, initializer in (("sigmoid", "glorot_uniform"), ("relu", "he_normal")):
    keras.utils.set_random_seed(0)
    net = digits_net(activation, initializer, depth=10, units=32)
    net.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
    monitor = Monitor()
    history = net.fit(digits_x, digits_y, epochs=pick(full=20, quick=5), batch_size=32, verbose=0,
                      callbacks=[monitor], validation_data=(digits_x_test, digits_y_test))
    deep_runs[activation] = (monitor, history.history)
    print(f"10 × {activation} + {initializer}: dev accuracy {history.history['val_accuracy'][-1]:.1%}")
deep_runs["sigmoid"][0]

# %% tags=["figure"]
plt.figure(figsize=(7, 3.5))
for activation, (monitor, _) in deep_runs.items():
    names = list(monitor.history["layers"])
    first_sample = [monitor.history["layers"][n]["grad_rms"][0] for n in names]
    plt.plot(range(1, len(names) + 1), first_sample, "o-", label=activation)
plt.yscale("log")
plt.xlabel("layer (1 = nearest the input)")
plt.ylabel("gradient RMS (first sample)")
plt.legend()
plt.title("Gradient size per layer at the start of training")
show()

# %% [markdown]
# The sigmoid network's first layer gets gradients orders of magnitude smaller than its last layer; the ReLU
# network's gradients stay within a small factor across all ten layers, and it learns in the same epochs
# (full run, 20 epochs: dev accuracy 10% — chance — for sigmoid, 93% for ReLU + He).
#
# ## Xavier and He initialisation
# Why does initialisation matter? A layer's output z = Σᵢ wᵢxᵢ over n inputs has variance n·var(w)·var(x).
# To keep the signal's size from layer to layer, choose var(w) = 1/n (**Xavier**, for tanh and sigmoid) or
# var(w) = 2/n (**He**, for ReLU, which zeroes half of its inputs). Push a batch through 10 layers of 256
# units and watch the spread of the activations:

# %%
def spread_per_layer(activation, std_of, width=256, depth=10):
    torch.manual_seed(0)
    signal, spreads = torch.randn(1000, width), []
    for _ in range(depth):
        signal = activation(signal @ (torch.randn(width, width) * std_of(width)))
        spreads.append(float(signal.std()))
    return spreads


init_runs = {
    "tanh, std 0.01": spread_per_layer(torch.tanh, lambda n: 0.01),
    "tanh, Xavier std √(1/n)": spread_per_layer(torch.tanh, lambda n: (1 / n) ** 0.5),
    "ReLU, std 1": spread_per_layer(torch.relu, lambda n: 1.0),
    "ReLU, He std √(2/n)": spread_per_layer(torch.relu, lambda n: (2 / n) ** 0.5),
}
for name, spreads in init_runs.items():
    print(f"{name:24s} activation std after layer 1: {spreads[0]:.3g}, after layer 10: {spreads[-1]:.3g}")

# %% tags=["figure"]
plt.figure(figsize=(7, 3.5))
for name, spreads in init_runs.items():
    plt.plot(range(1, 11), spreads, "o-", label=name)
plt.yscale("log")
plt.xlabel("layer")
plt.ylabel("activation std")
plt.legend(fontsize=8)
plt.title("Too small vanishes, too large explodes, Xavier/He keep the scale")
show()

# %% [markdown]
# ## Dropout
# Dropout switches off each unit with probability `rate` at every training step, so no unit can rely on
# another: a regulariser against overfitting. Surviving activations are divided by (1 − rate) ("inverted
# dropout"), so the expected value is unchanged and nothing needs rescaling at test time, when dropout is off.

# %%
activations_in = torch.ones(4, 10)
dropped = layers.Dropout(0.5)(activations_in, training=True)
print(dropped)
print("fraction zeroed:", float((dropped == 0).double().mean()), "— surviving values:", dropped[dropped > 0].unique().tolist())
print("at test time:", layers.Dropout(0.5)(activations_in, training=False)[0].tolist())

# %% [markdown]
# ## Train, dev and test sets, and the bias/variance recipe
# Learn on the **train** set, choose between models and settings on the **dev** set, and measure the
# chosen model once on the **test** set. `glassnet.datasets.split` makes the three (stratified, seeded).
# Then compare errors: train error far above the best possible (here ~0%: people read these digits) is
# *high bias* (underfitting: bigger network, train longer); dev error far above train error is *high variance*
# (overfitting: more data, regularisation such as dropout). We make a small, wide network overfit on 300
# digits, with and without dropout.

# %%
all_x = np.concatenate([digits_x, digits_x_test])
all_y = np.concatenate([digits_y, digits_y_test])
(split_x, split_y), (dev_x, dev_y), (test_x, test_y) = keras.datasets.split(all_x, all_y, dev=0.2, test=0.2, seed=0)
small_x, small_y = split_x[:300], split_y[:300]
print("train", split_x.shape, "dev", dev_x.shape, "test", test_x.shape, "→ we train on the first 300")

verdicts = {}
for rate in (0.0, 0.5):
    keras.utils.set_random_seed(0)
    net = digits_net(units=512, dropout=rate)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    net.fit(small_x, small_y, epochs=pick(full=100, quick=30), batch_size=32, verbose=0)
    print(f"--- dropout {rate}")
    verdicts[rate] = net.diagnose(small_x, small_y, validation_data=(dev_x, dev_y))
print(f"test accuracy of the dropout network, measured once: {net.evaluate(test_x, test_y, verbose=0)[1]:.1%}")

# %% [markdown]
# With 300 examples both networks fit the training set perfectly; the gap to the dev error is the variance.
# Full run: dev error 4.5% without dropout, 4.2% with it (test accuracy 96.7%) — dropout narrows the gap a
# little; more data narrows it most. The verdict's recipe lists what to try next, in order.
#
# ## Exercises
# **1.** The slope of the sigmoid at z = 0. Compute σ'(0) with the formula σ(z)(1 − σ(z)).

# %% tags=["exercise"]
answer_1 = ...

# %% tags=["solution"]
s0 = 1 / (1 + np.exp(-0.0))
answer_1 = s0 * (1 - s0)

# %% tags=["check"]
zero = torch.zeros(1, requires_grad=True)
torch.sigmoid(zero).backward()
check("σ'(0)", answer_1, float(zero.grad), hint="σ(0) = 0.5")

# %% [markdown]
# **2.** About how many past values does a moving average with β = 0.98 remember?

# %% tags=["exercise"]
answer_2 = ...

# %% tags=["solution"]
answer_2 = 1 / (1 - 0.98)

# %% tags=["check"]
check("values remembered with β = 0.98", answer_2, 50, hint="1 / (1 − β)")

# %% [markdown]
# **3.** Adam's very first step. A weight w = 1.0 has gradient g = 2.0; Adam (lr = 0.1, β1 = 0.9, β2 = 0.999,
# ε = 1e-8) starts from m = v = 0. Apply the formulas above for t = 1 (bias correction included) and store the new
# weight in `answer_3`. (Notice what bias correction makes of the first step: lr · sign(g).)

# %% tags=["exercise"]
answer_3 = ...

# %% tags=["solution"]
g, beta1, beta2 = 2.0, 0.9, 0.999
m_1, v_1 = (1 - beta1) * g, (1 - beta2) * g ** 2
answer_3 = 1.0 - 0.1 * (m_1 / (1 - beta1)) / (np.sqrt(v_1 / (1 - beta2)) + 1e-8)

# %% tags=["check"]
weight = torch.tensor([1.0], requires_grad=True)
adam_reference = torch.optim.Adam([weight], lr=0.1, betas=(0.9, 0.999), eps=1e-8)
(2.0 * weight).sum().backward()            # d(2w)/dw = 2
adam_reference.step()
check("w after Adam's first step", answer_3, float(weight.detach()), hint="m̂ = g and v̂ = g² at t = 1")

# %% [markdown]
# **4.** A model has 1% training error and 11% dev error on a task people do almost perfectly. Which
# verdict? Answer `"high bias"`, `"high variance"`, `"high bias and high variance"` or
# `"low bias, low variance"`.

# %% tags=["exercise"]
answer_4 = ...

# %% tags=["solution"]
answer_4 = "high variance"

# %% tags=["check"]
check("the verdict for 1% train / 11% dev error", answer_4, bias_variance(0.01, 0.11).verdict,
      hint="variance = dev error − train error")

# %% [markdown]
# **5.** Backpropagation by hand: for the two-layer network above, ∂L/∂b2 is the sum over examples of dZ2.
# Using `probs` and `labels` from a fresh forward pass with `params`, compute it (a tensor of 2 numbers).

# %% tags=["exercise"]
answer_5 = ...

# %% tags=["solution"]
_, probs = two_layer_forward(x, params)
answer_5 = ((probs - torch.nn.functional.one_hot(labels, 2)) / len(labels)).sum(0)

# %% tags=["check"]
check_params = [p.clone().requires_grad_() for p in params]
two_layer_loss(two_layer_forward(x, check_params)[1], labels).backward()
check("∂L/∂b2", answer_5, check_params[3].grad, hint="dZ2 = (P − one_hot(y)) / N, summed over the examples")

# %% [markdown]
# **6.** Sample 1000 learning rates between 0.0001 and 1 **on a log scale** with `rng` (draw the exponent
# uniformly, then raise 10 to it), so that each decade gets about a quarter of them.

# %% tags=["exercise"]
rng = np.random.default_rng(1)
answer_6 = ...

# %% tags=["solution"]
answer_6 = 10 ** rng.uniform(-4, 0, 1000)

# %% tags=["check"]
check("the share of your 1000 rates in each decade from 0.0001 to 1",
      None if answer_6 is ... else np.histogram(answer_6, [1e-4, 1e-3, 1e-2, 1e-1, 1.0])[0] / len(answer_6),
      [0.25] * 4, atol=0.05,
      hint="r = rng.uniform(-4, 0, 1000); rates = 10 ** r")
