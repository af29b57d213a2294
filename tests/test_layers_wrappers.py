"""Bidirectional and TimeDistributed against manual computations and torch's bidirectional LSTM."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import glassnet
from glassnet.layers import GRU, LSTM, Bidirectional, Conv2D, Dense, SimpleRNN, TimeDistributed
from glassnet.models import Sequential


def _halves(layer: Bidirectional, x: torch.Tensor):
    """Forward and backward outputs computed by hand from the two wrapped layers."""
    forward = layer.forward_layer(x)
    backward = layer.backward_layer(x)
    return forward, backward.flip(1) if layer.return_sequences else backward


@pytest.mark.parametrize("mode, merge", [("concat", lambda a, b: torch.cat([a, b], -1)), ("sum", torch.add),
                                         ("mul", torch.mul), ("ave", lambda a, b: (a + b) / 2)])
@pytest.mark.parametrize("sequences", [False, True])
def test_merge_modes_against_manual(mode, merge, sequences):
    layer = Bidirectional(GRU(3, return_sequences=sequences), merge_mode=mode)
    x = torch.randn(2, 5, 4)
    out = layer(x)
    torch.testing.assert_close(out, merge(*_halves(layer, x)))
    backward_alone = layer.backward_layer(x)
    reference = GRU(3, return_sequences=True)
    reference(x)
    reference.set_weights(layer.backward_layer.get_weights())
    expected = reference(x.flip(1))  # the backward half reads the reversed sequence
    torch.testing.assert_close(backward_alone, expected if sequences else expected[:, -1])


def test_merge_none_and_return_state():
    layer = Bidirectional(LSTM(3, return_sequences=True, return_state=True), merge_mode=None)
    x = torch.randn(2, 4, 5)
    forward, backward, h_f, c_f, h_b, c_b = layer(x)
    torch.testing.assert_close(forward[:, -1], h_f)
    torch.testing.assert_close(backward[:, 0], h_b)  # back in time order: step 0 is the backward half's last
    assert c_f.shape == c_b.shape == (2, 3)


def test_matches_torch_bidirectional_lstm():
    torch.manual_seed(0)
    ref = nn.LSTM(5, 4, batch_first=True, bidirectional=True)
    layer = Bidirectional(LSTM(4, return_sequences=True))
    x = torch.randn(3, 6, 5)
    layer(x)
    layer.load_state_dict(ref.state_dict(), strict=True)  # torch's names: weight_ih_l0, weight_ih_l0_reverse, ...
    torch.testing.assert_close(layer(x), ref(x)[0])
    model = Sequential([glassnet.Input(shape=(6, 5)), Bidirectional(GRU(2))])
    gru = nn.GRU(5, 2, batch_first=True, bidirectional=True)
    model.layers[0].load_state_dict(gru.state_dict(), strict=True)
    out, h = gru(x)
    torch.testing.assert_close(model(x), torch.cat([h[0], h[1]], dim=-1))


def test_backward_layer_and_errors():
    back = SimpleRNN(2, go_backwards=True, name="back")
    layer = Bidirectional(SimpleRNN(2), backward_layer=back, merge_mode="sum")
    assert layer.backward_layer is back
    with pytest.raises(ValueError, match="go_backwards opposite"):
        Bidirectional(SimpleRNN(2), backward_layer=SimpleRNN(2))
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(SimpleRNN(2), merge_mode="max")
    with pytest.raises(TypeError, match="recurrent layer"):
        Bidirectional(Dense(2))


def test_bidirectional_saves_and_loads(tmp_path):
    model = Sequential([glassnet.Input(shape=(5, 3)), Bidirectional(LSTM(4, return_sequences=True)),
                        Bidirectional(GRU(2), merge_mode="sum"), Dense(1)])
    x = torch.randn(2, 5, 3)
    model.save(tmp_path / "bi.keras")
    loaded = glassnet.models.load_model(tmp_path / "bi.keras")
    torch.testing.assert_close(loaded(x), model(x))
    assert model.count_params() == 2 * 4 * 4 * (3 + 4 + 1) + 2 * 3 * 2 * (8 + 2 + 2) + 3


def test_time_distributed_equals_reshaping():
    dense = Dense(4)
    layer = TimeDistributed(dense)
    x = torch.randn(3, 5, 6)
    torch.testing.assert_close(layer(x), dense(x.reshape(15, 6)).reshape(3, 5, 4))


def test_time_distributed_conv_on_frames_in_a_model(tmp_path):
    frames = torch.randn(2, 3, 8, 8, 1)  # (batch, time, height, width, channels): Keras' layout
    model = Sequential([glassnet.Input(shape=(3, 8, 8, 1)), TimeDistributed(Conv2D(4, 3)), TimeDistributed(
        glassnet.layers.Flatten()), LSTM(2)])
    conv = model.layers[0].layer
    out = model(frames)
    each = torch.stack([model.layers[1].layer(conv(glassnet.layout.to_internal(frames[:, t], "channels_last")))
                        for t in range(3)], dim=1)
    torch.testing.assert_close(out, model.layers[2](each))
    model.save(tmp_path / "td.keras")
    torch.testing.assert_close(glassnet.models.load_model(tmp_path / "td.keras")(frames), out)


def test_time_distributed_needs_a_time_axis():
    with pytest.raises(glassnet.errors.ShapeError, match="timesteps"):
        TimeDistributed(Dense(2))(torch.zeros(4, 3))
