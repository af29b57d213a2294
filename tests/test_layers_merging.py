"""Merging layers against torch's element-wise ops and torch.cat."""

from __future__ import annotations

import pytest
import torch

from glassnet import Input
from glassnet.errors import ShapeError
from glassnet.layers import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, concatenate
from layers_support import data_format, internal  # noqa: F401


@pytest.mark.parametrize("cls,reference", [
    (Add, lambda a, b, c: a + b + c), (Multiply, lambda a, b, c: a * b * c),
    (Average, lambda a, b, c: (a + b + c) / 3), (Maximum, lambda a, b, c: torch.max(torch.max(a, b), c)),
    (Minimum, lambda a, b, c: torch.min(torch.min(a, b), c)),
])
def test_elementwise_merges_match_torch(cls, reference):
    inputs = [torch.randn(2, 3, 4, 4, requires_grad=True) for _ in range(3)]
    y = cls()(inputs)
    expected = reference(*inputs)
    torch.testing.assert_close(y, expected)
    probe = torch.randn_like(y)
    ours = torch.autograd.grad((y * probe).sum(), inputs)
    theirs = torch.autograd.grad((expected * probe).sum(), inputs)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_subtract_takes_exactly_two():
    a, b = torch.randn(2, 3), torch.randn(2, 3)
    torch.testing.assert_close(Subtract()([a, b]), a - b)
    with pytest.raises(ShapeError, match="exactly 2"):
        Subtract()([a, b, a])


def test_mismatched_shapes_name_the_layer_and_user_shapes(data_format):
    a_user = torch.zeros(2, 4, 4, 3) if data_format == "channels_last" else torch.zeros(2, 3, 4, 4)
    b_user = torch.zeros(2, 4, 4, 5) if data_format == "channels_last" else torch.zeros(2, 5, 4, 4)
    with pytest.raises(ShapeError) as info:
        Add(name="skip")([internal(a_user), internal(b_user)])
    assert "'skip'" in str(info.value)
    assert str(tuple(a_user.shape)) in str(info.value) and str(tuple(b_user.shape)) in str(info.value)


def test_merge_needs_a_list():
    with pytest.raises(ShapeError, match="list"):
        Add()(torch.zeros(2, 3))


def test_broadcasting_size_one_axes():
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 1, 1)  # squeeze-and-excite style
    torch.testing.assert_close(Multiply()([a, b]), a * b)


def test_concatenate_channels_axis_in_both_layouts(data_format):
    a_user = torch.randn(2, 4, 4, 3) if data_format == "channels_last" else torch.randn(2, 3, 4, 4)
    b_user = torch.randn(2, 4, 4, 5) if data_format == "channels_last" else torch.randn(2, 5, 4, 4)
    axis = -1 if data_format == "channels_last" else 1
    y = Concatenate(axis=axis)([internal(a_user), internal(b_user)])
    assert tuple(y.shape) == (2, 8, 4, 4)  # internal NCHW: channels joined
    expected_user = torch.cat([a_user, b_user], dim=axis)
    torch.testing.assert_close(internal(expected_user), y)


def test_concatenate_other_axes_and_vectors():
    a, b = torch.randn(2, 3), torch.randn(2, 4)
    torch.testing.assert_close(concatenate([a, b]), torch.cat([a, b], 1))
    s, t = torch.randn(2, 5, 3), torch.randn(2, 2, 3)
    torch.testing.assert_close(Concatenate(axis=1)([s, t]), torch.cat([s, t], 1))


def test_concatenate_mismatch_is_clear(data_format):
    a = torch.zeros(2, 3, 4, 4)
    b = torch.zeros(2, 3, 5, 5)
    with pytest.raises(ShapeError, match=r"concatenate.*except on the concatenation axis"):
        Concatenate()([a, b])


def test_functional_api_records_merge_nodes():
    x = Input((8,))
    y = add([x, x])
    assert y.shape == (None, 8)
    assert concatenate([x, y]).shape == (None, 16)
