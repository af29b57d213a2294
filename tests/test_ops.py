"""glassnet.ops (keras.ops) against numpy: reductions with axis/keepdims, shapes, indexing, maths, nn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet import ops
from glassnet import random as grandom

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 3, 4)).astype(np.float32)
POS = np.abs(X) + 0.1
AXES = [None, 0, 1, -1, (0, 2)]


def close(ours, reference, atol=1e-5):
    ours = ops.convert_to_numpy(ours)
    np.testing.assert_allclose(ours, np.asarray(reference), atol=atol, rtol=1e-5)
    assert ours.shape == np.shape(reference)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "std", "var", "prod", "all", "any"])
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(name, axis, keepdims):
    data = X > 0 if name in ("all", "any") else X
    close(getattr(ops, name)(data, axis=axis, keepdims=keepdims),
          getattr(np, name)(data, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin_match_numpy(axis, keepdims):
    close(ops.argmax(X, axis=axis, keepdims=keepdims), np.argmax(X, axis=axis, keepdims=keepdims))
    close(ops.argmin(X, axis=axis, keepdims=keepdims), np.argmin(X, axis=axis, keepdims=keepdims))


@pytest.mark.parametrize("axis", [None, 0, -1, (1, 2)])
def test_norm_and_logsumexp(axis):
    close(ops.norm(X, axis=axis), np.linalg.norm(X.reshape(-1) if axis is None else X,
                                                  axis=None if axis is None else axis))
    reference = np.log(np.sum(np.exp(X), axis=axis))
    close(ops.logsumexp(X, axis=axis), reference)


@pytest.mark.parametrize("name", ["abs", "sqrt", "square", "exp", "log", "floor", "ceil", "sign", "tanh",
                                  "log1p", "expm1", "sin", "cos", "negative", "reciprocal"])
def test_unary_match_numpy(name):
    reference = {"abs": np.abs, "negative": np.negative, "reciprocal": np.reciprocal}.get(name, getattr(np, name))
    data = POS if name in ("sqrt", "log", "log1p") else X
    close(getattr(ops, name)(data), reference(data))


def test_erf_round_and_clip():
    from scipy.special import erf
    close(ops.erf(X), erf(X))
    halves = np.array([0.5, 1.5, 2.5, -0.5], np.float32)
    close(ops.round(halves), np.round(halves))  # half to even, as numpy
    close(ops.clip(X, -0.5, 0.5), np.clip(X, -0.5, 0.5))


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "equal",
                                  "not_equal", "greater", "greater_equal", "less", "less_equal", "mod"])
def test_binary_broadcast_and_scalars(name):
    a, b = POS, POS[0, :, :1] + 0.5  # broadcasting (3, 1) against (2, 3, 4)
    close(getattr(ops, name)(a, b), getattr(np, name)(a, b), atol=1e-4)
    close(getattr(ops, name)(torch.from_numpy(a), 2.0), getattr(np, name)(a, np.float32(2.0)), atol=1e-4)


def test_logical_ops_and_where():
    p, q = X > 0, X > 0.5
    close(ops.logical_and(p, q), p & q)
    close(ops.logical_or(p, q), p | q)
    close(ops.logical_not(p), ~p)
    close(ops.where(p, X, 0.0), np.where(p, X, 0.0))
    assert [t.tolist() for t in ops.where(torch.tensor([False, True, True]))] == [[1, 2]]


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1)])
def test_transpose_matches_numpy(axes):
    close(ops.transpose(X, axes), np.transpose(X, axes))


def test_shape_ops_match_numpy():
    close(ops.reshape(X, (6, -1)), X.reshape(6, -1))
    close(ops.expand_dims(X, 1), np.expand_dims(X, 1))
    close(ops.expand_dims(X, (0, -1)), np.expand_dims(X, (0, -1)))
    close(ops.squeeze(X[:1, :, :1]), np.squeeze(X[:1, :, :1]))
    close(ops.squeeze(X[:1], axis=0), np.squeeze(X[:1], axis=0))
    close(ops.concatenate([X, X], axis=-1), np.concatenate([X, X], axis=-1))
    close(ops.stack([X, X], axis=1), np.stack([X, X], axis=1))
    close(ops.tile(X, (1, 2, 1)), np.tile(X, (1, 2, 1)))
    close(ops.repeat(X, 2, axis=1), np.repeat(X, 2, axis=1))
    close(ops.repeat(X, 2), np.repeat(X, 2))
    close(ops.flip(X, axis=1), np.flip(X, axis=1))
    assert ops.shape(X) == (2, 3, 4) and ops.ndim(X) == 3 and ops.size(X) == 24
    with pytest.raises(ValueError, match="size 3, not 1"):
        ops.squeeze(X, axis=1)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take_cumsum_sort_argsort(axis):
    indices = np.array([[0, -1], [1, 0]])
    close(ops.take(X, indices, axis=axis), np.take(X, indices, axis=axis))
    close(ops.cumsum(X, axis=axis), np.cumsum(X, axis=axis), atol=1e-5)
    if axis is not None:
        close(ops.sort(X, axis=axis), np.sort(X, axis=axis))
        close(ops.argsort(X, axis=axis), np.argsort(X, axis=axis, kind="stable"))


def test_pad_and_slice():
    widths = ((0, 0), (1, 2), (3, 0))
    close(ops.pad(X, widths), np.pad(X, widths))
    close(ops.pad(X, widths, constant_values=7), np.pad(X, widths, constant_values=7))
    close(ops.pad(X, widths, mode="reflect"), np.pad(X, widths, mode="reflect"))
    close(ops.pad(X, widths, mode="edge"), np.pad(X, widths, mode="edge"))
    close(ops.slice(X, (0, 1, 2), (2, 2, 2)), X[0:2, 1:3, 2:4])


def test_linear_algebra_matches_numpy():
    a, b = RNG.normal(size=(3, 4)).astype(np.float32), RNG.normal(size=(4, 5)).astype(np.float32)
    close(ops.matmul(a, b), a @ b, atol=1e-5)
    close(ops.matmul(X, b), X @ b, atol=1e-5)
    close(ops.dot(a, b), np.dot(a, b), atol=1e-5)
    close(ops.dot(X, b), np.dot(X, b), atol=1e-5)
    close(ops.dot(a[0], a[1]), np.dot(a[0], a[1]), atol=1e-5)
    close(ops.einsum("bij,jk->bik", X, b), np.einsum("bij,jk->bik", X, b), atol=1e-5)


def test_top_k_matches_sort():
    values, indices = ops.top_k(X, 2)
    order = np.argsort(-X, axis=-1)[..., :2]
    close(indices, order)
    close(values, np.take_along_axis(X, order, -1))


def test_creation_and_dtypes():
    assert ops.zeros((2, 3)).dtype == torch.float32
    assert ops.ones((2,), dtype="int32").dtype == torch.int32
    close(ops.full((2, 2), 3.0), np.full((2, 2), 3.0, np.float32))
    close(ops.arange(1, 7, 2), np.arange(1, 7, 2))
    close(ops.linspace(0, 1, 5), np.linspace(0, 1, 5).astype(np.float32))
    close(ops.eye(3, k=1), np.eye(3, k=1, dtype=np.float32))
    close(ops.zeros_like(X), np.zeros_like(X))
    close(ops.ones_like(X), np.ones_like(X))
    assert ops.cast(X, "float16").dtype == torch.float16
    assert ops.convert_to_tensor(X).dtype == torch.float32
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == torch.float32  # Keras' floatx, not float64
    assert ops.dtype_name(X) == "float32" and ops.is_tensor(ops.convert_to_tensor(X)) and not ops.is_tensor(X)
    with pytest.raises(ValueError, match="Unknown dtype"):
        ops.cast(X, "float33")


def test_nn_ops_match_torch():
    logits = torch.from_numpy(X)
    close(ops.softmax(X, axis=1), torch.softmax(logits, 1))
    close(ops.nn.softmax(X), torch.softmax(logits, -1))
    close(ops.nn.log_softmax(X), torch.log_softmax(logits, -1))
    close(ops.sigmoid(X), torch.sigmoid(logits))
    close(ops.relu(X), np.maximum(X, 0))
    close(ops.nn.relu(X), np.maximum(X, 0))
    close(ops.one_hot(np.array([0, 2]), 3), np.eye(3, dtype=np.float32)[[0, 2]])
    labels = np.array([1, 0])
    probs = torch.softmax(logits[:, 0, :], -1)
    close(ops.nn.sparse_categorical_crossentropy(labels, logits[:, 0, :], from_logits=True),
          torch.nn.functional.cross_entropy(logits[:, 0, :], torch.from_numpy(labels), reduction="none"))
    close(ops.nn.categorical_crossentropy(np.eye(4, dtype=np.float32)[labels], probs),
          -np.log(probs.numpy()[[0, 1], labels]), atol=1e-5)


def test_conv_and_pool_in_keras_layout():
    images = RNG.normal(size=(1, 6, 6, 2)).astype(np.float32)
    kernel = RNG.normal(size=(3, 3, 2, 4)).astype(np.float32)
    reference = torch.nn.functional.conv2d(torch.from_numpy(images).permute(0, 3, 1, 2),
                                           torch.from_numpy(kernel).permute(3, 2, 0, 1)).permute(0, 2, 3, 1)
    close(ops.conv(images, kernel), reference, atol=1e-4)
    close(ops.nn.max_pool(images, 2), images.reshape(1, 3, 2, 3, 2, 2).max(axis=(2, 4)))


def test_control_flow_and_gradients():
    x = torch.ones(2, requires_grad=True)
    assert not ops.stop_gradient(x).requires_grad
    assert ops.cond(ops.sum(x) > 1, lambda: "big", lambda: "small") == "big"
    assert ops.fori_loop(0, 3, lambda i, v: v * 2, 1) == 8


def test_random_is_seeded_and_shaped():
    import glassnet as keras

    assert keras.random is grandom and ops.random is grandom
    a, b = grandom.normal((100,), seed=3), grandom.normal((100,), seed=3)
    assert torch.equal(a, b)
    generator = grandom.SeedGenerator(3)
    assert not torch.equal(grandom.uniform((4,), seed=generator), grandom.uniform((4,), seed=generator))
    u = grandom.uniform((1000,), minval=-2, maxval=-1, seed=0)
    assert u.min() >= -2 and u.max() < -1
    n = grandom.normal((20000,), mean=3.0, stddev=2.0, seed=0)
    assert abs(n.mean().item() - 3.0) < 0.05 and abs(n.std().item() - 2.0) < 0.05
    assert grandom.randint((50,), 0, 3, seed=0).max() < 3


def test_more_numpy_ops():
    close(ops.swapaxes(X, 0, 2), np.swapaxes(X, 0, 2))
    close(ops.moveaxis(X, 0, -1), np.moveaxis(X, 0, -1))
    close(ops.ravel(X), np.ravel(X))
    close(ops.broadcast_to(X[0, 0], (5, 4)), np.broadcast_to(X[0, 0], (5, 4)))
    for ours, reference in zip(ops.meshgrid(np.arange(3), np.arange(2)), np.meshgrid(np.arange(3), np.arange(2))):
        close(ours, reference)
    weights = np.array([1.0, 2.0, 3.0], np.float32)
    close(ops.average(X, axis=1, weights=weights), np.average(X, axis=1, weights=weights))
    close(ops.median(X), np.median(X))
    close(ops.median(X, axis=1), np.median(X, axis=1))
    close(ops.isclose(X, X + 1e-9), np.isclose(X, X + 1e-9))
    close(ops.bincount(np.array([0, 3, 3, 1])), np.bincount([0, 3, 3, 1]))
    close(ops.trace(X[0, :, :3]), np.trace(X[0, :, :3]))
    close(ops.logaddexp(X, X[::-1]), np.logaddexp(X, X[::-1]))
    close(ops.normalize(X), X / np.linalg.norm(X, axis=-1, keepdims=True))
    close(ops.vectorized_map(lambda row: row * 2, X), X * 2)


def test_scatter_and_slice_update():
    expected = np.zeros((2, 3), np.float32)
    np.add.at(expected, ([0, 1, 0], [1, 2, 1]), [1.0, 2.0, 3.0])
    close(ops.scatter(np.array([[0, 1], [1, 2], [0, 1]]), np.array([1.0, 2.0, 3.0], np.float32), (2, 3)), expected)
    updated = X.copy()
    updated[1, 1:3, 0:2] = 7
    close(ops.slice_update(X, (1, 1, 0), np.full((1, 2, 2), 7, np.float32)), updated)


def test_image_resize_matches_torch():
    images = RNG.random((2, 4, 6, 3)).astype(np.float32)
    reference = torch.nn.functional.interpolate(torch.from_numpy(images).permute(0, 3, 1, 2), size=(2, 3),
                                                mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
    close(ops.image.resize(images, (2, 3)), reference)
    assert ops.image.resize(images[0], (8, 12)).shape == (8, 12, 3)
