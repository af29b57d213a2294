"""Masks travelling on tensors: padded steps change nothing in recurrent layers, the loss or the metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet
from glassnet import masking
from glassnet.layers import (GRU, LSTM, RNN, Bidirectional, Dense, Dropout, Embedding, Flatten,
                             GlobalAveragePooling1D, LSTMCell, Masking, SimpleRNN, TimeDistributed)
from glassnet.layers.recurrent import FUSED
from glassnet.models import Model, Sequential

SEQUENCES = [[5, 3, 8], [7, 1, 2, 9, 4], [6]]


def _padded(padding: str, length: int = 6) -> torch.Tensor:
    rows = [s + [0] * (length - len(s)) if padding == "post" else [0] * (length - len(s)) + s for s in SEQUENCES]
    return torch.tensor(rows)


def _one_by_one(layer, embedding):
    """The layer run on each sequence alone, unpadded."""
    return torch.cat([layer(embedding(torch.tensor([s]))) for s in SEQUENCES])


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("options", [{}, {"use_cudnn": False}, {"go_backwards": True}], ids=["fused", "loop", "back"])
def test_pre_and_post_padding_give_the_unpadded_result(cls, options):
    torch.manual_seed(0)
    embedding = Embedding(10, 3, mask_zero=True)
    layer = cls(4, return_state=True, **options)
    expected = [torch.cat(parts) for parts in zip(*[layer(embedding(torch.tensor([s]))) for s in SEQUENCES])]
    for padding in ("post", "pre"):
        for ours, reference in zip(layer(embedding(_padded(padding))), expected):
            torch.testing.assert_close(ours, reference, atol=1e-6, rtol=1e-5)
    if not options.get("use_cudnn", True) is False:
        layer(embedding(_padded("post")))
        assert layer.last_path == FUSED + ", packed"  # right padding keeps torch's kernel
        layer(embedding(_padded("pre")))
        assert layer.last_path == "step loop: mask not right-padded"


@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_sequence_outputs_on_padded_steps_fused_equals_loop(zero_output, go_backwards):
    torch.manual_seed(0)
    embedding = Embedding(10, 3, mask_zero=True)
    fused = LSTM(4, return_sequences=True, zero_output_for_mask=zero_output, go_backwards=go_backwards)
    loop = LSTM(4, return_sequences=True, zero_output_for_mask=zero_output, go_backwards=go_backwards,
                use_cudnn=False)
    x = embedding(_padded("post"))
    fused(x), loop(x)
    loop.set_weights(fused.get_weights())
    a, b = fused(x), loop(x)
    assert fused.last_path.startswith(FUSED) and loop.last_path.startswith("step loop")
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    if not go_backwards:
        valid = _padded("post") != 0
        alone = LSTM(4, return_sequences=True)
        alone(x), alone.set_weights(fused.get_weights())
        torch.testing.assert_close(a[1, :5], alone(embedding(torch.tensor([SEQUENCES[1]])))[0], atol=1e-6, rtol=1e-5)
        padded_steps = a[0, 3:]
        expected = torch.zeros_like(padded_steps) if zero_output else a[0, 2].expand_as(padded_steps)
        torch.testing.assert_close(padded_steps, expected)  # Keras: the last output repeats (or zeros)
        assert torch.equal(masking.of(a), valid)  # return_sequences keeps the mask


def test_masking_layer_masks_and_zeroes_steps():
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]])
    y = Masking()(x)
    assert masking.of(y).tolist() == [[True, False, True]]
    layer = SimpleRNN(2, use_cudnn=False)
    torch.testing.assert_close(layer(y), layer(x[:, [0, 2]]))


def test_mask_passes_through_dense_and_dropout_and_stops_at_flatten():
    x = Embedding(10, 4, mask_zero=True)(_padded("post"))
    for layer in (Dense(3), Dropout(0.5), TimeDistributed(Dense(2))):
        assert torch.equal(masking.of(layer(x)), _padded("post") != 0)
    assert masking.of(Flatten()(x)) is None
    assert masking.of(LSTM(2)(x)) is None  # the last output of a sequence has no steps left to mask


def test_mask_flows_through_a_functional_model_and_a_sequential_model():
    torch.manual_seed(0)
    inputs = glassnet.Input(shape=(None,), dtype="int64")
    embedded = Embedding(10, 3, mask_zero=True)(inputs)
    outputs = Dense(1)(GRU(4)(embedded))
    functional = Model(inputs, outputs)
    sequential = Sequential([functional.layers[1], functional.layers[2], functional.layers[3]])
    for model in (functional, sequential):
        alone = torch.cat([model(torch.tensor([s])) for s in SEQUENCES])
        torch.testing.assert_close(model(_padded("pre")), alone, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(model(_padded("post")), alone, atol=1e-6, rtol=1e-5)


def test_bidirectional_and_rnn_cell_use_the_mask():
    torch.manual_seed(0)
    embedding = Embedding(10, 3, mask_zero=True)
    for layer in (Bidirectional(LSTM(4)), Bidirectional(GRU(4), merge_mode="sum"), RNN(LSTMCell(4))):
        alone = _one_by_one(layer, embedding)
        for padding in ("post", "pre"):
            torch.testing.assert_close(layer(embedding(_padded(padding))), alone, atol=1e-6, rtol=1e-5)
    seq = Bidirectional(LSTM(4, return_sequences=True))
    out = seq(embedding(_padded("post")))
    assert torch.equal(masking.of(out), _padded("post") != 0)
    assert float(out[0, 3:].detach().abs().max()) == 0.0  # Keras: padded steps of a bidirectional sequence are zeros


def _tagger(seed: int = 0) -> Sequential:
    torch.manual_seed(seed)
    model = Sequential([glassnet.Input(shape=(6,), dtype="int64"), Embedding(10, 4, mask_zero=True),
                        LSTM(5, return_sequences=True), TimeDistributed(Dense(3, activation="softmax"))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_loss_and_metrics_ignore_padded_steps():
    model = _tagger()
    x = _padded("post")
    valid = x != 0
    labels = torch.randint(0, 3, x.shape)
    other = torch.where(valid, labels, (labels + 1) % 3)  # differs on padded steps only
    first = model.evaluate(x.numpy(), labels.numpy(), verbose=0, return_dict=True)
    second = model.evaluate(x.numpy(), other.numpy(), verbose=0, return_dict=True)
    assert first == pytest.approx(second)
    probs = model.predict(x.numpy(), verbose=0)
    picked = probs[valid.numpy()][np.arange(int(valid.sum())), labels[valid].numpy()]
    assert first["loss"] == pytest.approx(float(-np.log(picked).mean()), rel=1e-5)  # mean over real steps
    accuracy = (probs.argmax(-1) == labels.numpy())[valid.numpy()].mean()
    assert first["accuracy"] == pytest.approx(float(accuracy))


def test_training_with_a_mask_ignores_what_padding_holds():
    x = _padded("post").numpy()
    labels = np.random.default_rng(0).integers(0, 3, x.shape)
    changed = np.where(x != 0, labels, 2 - labels)
    a, b = _tagger(1), _tagger(1)
    a.fit(x, labels, epochs=2, batch_size=3, verbose=0, shuffle=False)
    b.fit(x, changed, epochs=2, batch_size=3, verbose=0, shuffle=False)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_a_wrong_mask_shape_is_explained():
    with pytest.raises(glassnet.errors.ShapeError, match="one True/False per sample and step"):
        LSTM(2)(torch.zeros(2, 3, 4), mask=torch.ones(2, 4, dtype=torch.bool))


def test_global_average_pooling_averages_real_steps_only():
    embedding = Embedding(10, 3, mask_zero=True)
    pooled = GlobalAveragePooling1D()(embedding(_padded("post")))
    expected = torch.stack([embedding.weight[s].mean(0) for s in SEQUENCES])
    torch.testing.assert_close(pooled, expected)
    assert masking.of(pooled) is None
