"""Every activation by name against torch, with the course's worked values."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from glassnet import activations
from glassnet.errors import UnknownNameError

REFERENCE = {
    "linear": lambda x: x, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2), "elu": F.elu, "selu": torch.selu, "gelu": F.gelu,
    "swish": lambda x: x * torch.sigmoid(x), "silu": F.silu, "softplus": lambda x: torch.log1p(torch.exp(x)),
    "softmax": lambda x: torch.exp(x) / torch.exp(x).sum(-1, keepdim=True),
}


def test_reference_covers_every_name():
    assert set(REFERENCE) == set(activations.ALL)


@pytest.mark.parametrize("name", sorted(activations.ALL))
def test_activation_values_and_grads_match_torch(name):
    x = torch.randn(4, 6, dtype=torch.float64) * 3
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    ya, yb = activations.get(name)(xa), REFERENCE[name](xb)
    torch.testing.assert_close(ya, yb)
    probe = torch.randn_like(ya)
    (ga,) = torch.autograd.grad((ya * probe).sum(), xa)
    (gb,) = torch.autograd.grad((yb * probe).sum(), xb)
    torch.testing.assert_close(ga, gb)


def test_softmax_worked_example():
    y = activations.softmax(torch.tensor([3.0, -2.0, 6.0]))
    assert y.tolist() == pytest.approx([0.047, 0.0003, 0.952], abs=6e-4)
    assert y.sum().item() == pytest.approx(1.0)


def test_hardmax_is_one_hot_argmax():
    assert activations.hardmax(torch.tensor([3.0, -2.0, 6.0])).tolist() == [0.0, 0.0, 1.0]
    x = torch.randn(5, 4)
    torch.testing.assert_close(activations.hardmax(x), F.one_hot(x.argmax(-1), 4).float())
    torch.testing.assert_close(activations.hardmax(x, axis=0), F.one_hot(x.argmax(0), 5).float().T)


def test_get_accepts_none_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get(torch.tanh) is torch.tanh
    assert activations.serialize(activations.get("relu")) == "relu"


def test_unknown_activation_lists_valid_names():
    with pytest.raises(UnknownNameError) as info:
        activations.get("rellu")
    message = str(info.value)
    assert "rellu" in message and "Did you mean 'relu'" in message
    assert all(name in message for name in activations.ALL)
