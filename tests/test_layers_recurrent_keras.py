"""Recurrent models built and run in real Keras 3 (tests/fixtures/recurrent/make_keras_recurrent.py):
their .h5 weights load into glassnet and give Keras' outputs, masks included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import glassnet
from glassnet.errors import DataFileError
from glassnet.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from glassnet.models import Sequential

FIXTURES = Path(__file__).parent / "fixtures" / "recurrent"


def _stack(reset_after: bool = False) -> Sequential:
    return Sequential([glassnet.Input(shape=(6, 4)), SimpleRNN(3, return_sequences=True),
                       LSTM(5, return_sequences=True), GRU(4, return_sequences=True),
                       GRU(3, reset_after=reset_after), Dense(2)])


def test_keras_h5_of_simple_rnn_lstm_gru_loads_and_matches_keras():
    data = np.load(FIXTURES / "stack.npz")
    model = _stack()
    model.load_weights(FIXTURES / "stack.h5")
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y"], rtol=1e-4, atol=1e-5)


def test_keras_h5_with_masking_and_bidirectional_matches_keras():
    data = np.load(FIXTURES / "masked.npz")
    model = Sequential([glassnet.Input(shape=(7,), dtype="int64"), Embedding(20, 4, mask_zero=True),
                        Bidirectional(LSTM(3, return_sequences=True)), GRU(3), Dense(1)])
    model.load_weights(FIXTURES / "masked.h5")
    for padding in ("post", "pre"):
        ids = torch.from_numpy(data[padding].astype("int64"))
        with torch.no_grad():
            np.testing.assert_allclose(model(ids).numpy(), data[f"y_{padding}"], rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        sequences = model.layers[1](model.layers[0](torch.from_numpy(data["post"].astype("int64"))))
    np.testing.assert_allclose(sequences.numpy(), data["seq_post"], rtol=1e-4, atol=1e-5)


def test_keras_h5_that_does_not_fit_is_explained():
    with pytest.raises(DataFileError, match="reset_after"):
        _stack(reset_after=True).load_weights(FIXTURES / "stack.h5")
