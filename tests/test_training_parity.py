"""glassnet's fit against a plain PyTorch loop: same data, seed and batches -> same losses."""

import numpy as np
import pytest
import torch
from torch import nn

from glassnet.layers import Dense, Input
from glassnet.models import Sequential
from glassnet.optimizers import SGD, Adam


def _data(n=96, features=10, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, features).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
    return x, y


def _twin_models():
    model = Sequential([Input(shape=(10,)), Dense(16, activation="relu"), Dense(3, activation="softmax")])
    reference = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 3))
    with torch.no_grad():
        reference[0].weight.copy_(model.layers[0].weight)
        reference[0].bias.copy_(model.layers[0].bias)
        reference[2].weight.copy_(model.layers[1].weight)
        reference[2].bias.copy_(model.layers[1].bias)
    return model, reference


def _reference_epochs(reference, optimizer, x, y, epochs, batch_size, permutation):
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for epoch in range(epochs):
        order = permutation(epoch)
        total = 0.0
        for start in range(0, len(x), batch_size):
            index = order[start:start + batch_size]
            loss = nn.functional.cross_entropy(reference(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / len(x))
    return losses


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_matches_plain_pytorch_loop(shuffle, optimizer):
    x, y = _data()
    model, reference = _twin_models()
    glass_opt = SGD(learning_rate=0.1, momentum=0.9) if optimizer == "sgd" else Adam(learning_rate=0.01)
    torch_opt = (torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9) if optimizer == "sgd"
                 else torch.optim.Adam(reference.parameters(), lr=0.01, eps=1e-7))
    model.compile(optimizer=glass_opt, loss="sparse_categorical_crossentropy", precision="float32")
    model._shuffle_seed = 1234  # the per-epoch permutation is seeded by (seed + epoch)
    history = model.fit(x, y, batch_size=16, epochs=4, shuffle=shuffle, verbose=0)

    def permutation(epoch):
        if not shuffle:
            return torch.arange(len(x))
        return torch.randperm(len(x), generator=torch.Generator().manual_seed(1234 + epoch))

    expected = _reference_epochs(reference, torch_opt, x, y, 4, 16, permutation)
    np.testing.assert_allclose(history.history["loss"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.layers[1].weight.detach().numpy(), reference[2].weight.detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_same_seed_gives_same_training_run():
    x, y = _data()
    runs = []
    for _ in range(2):
        torch.manual_seed(7)
        model = Sequential([Input(shape=(10,)), Dense(8, activation="tanh"), Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        runs.append(model.fit(x, y, epochs=3, verbose=0).history["loss"])
    assert runs[0] == runs[1]


def test_fused_softmax_crossentropy_is_stable_for_extreme_logits():
    # A softmax output followed by crossentropy is trained on logits (log-softmax), so a confidently
    # wrong prediction gives a large finite loss and a finite gradient, never log(0).
    model = Sequential([Input(shape=(2,)), Dense(2, activation="softmax", kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", precision="float32")
    x = np.array([[200.0, -200.0]], "float32")
    with torch.no_grad():
        model.layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    loss = model.train_on_batch(x, np.array([1]))
    assert np.isfinite(loss) and loss == pytest.approx(400.0, rel=1e-4)
    assert torch.isfinite(model.layers[0].weight).all()


def test_plain_torch_module_trains_with_glassnet_fit():
    import glassnet
    x, y = _data(n=256)
    net = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))
    before = net[0].weight.detach().clone()
    history = glassnet.fit(net, x, y, loss=nn.CrossEntropyLoss(), optimizer=Adam(0.01), epochs=20,
                           verbose=0, metrics=["accuracy"])
    assert not torch.equal(before, net[0].weight)  # trained in place
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.5
    assert history.history["accuracy"][-1] > 0.9
