"""SimpleRNN, LSTM, GRU and RNN(cell) against torch's nn.RNN/LSTM/GRU and NumPy recurrences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import glassnet
from glassnet.errors import ShapeError
from glassnet.layers import (GRU, LSTM, RNN, Dense, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell)
from glassnet.layers.recurrent import FUSED
from glassnet.models import Sequential

KINDS = [(SimpleRNN, nn.RNN), (LSTM, nn.LSTM), (GRU, nn.GRU)]


def _pair(cls, ref_cls, **kwargs):
    """Our layer and torch's module with the same (random, non-zero-bias) weights."""
    torch.manual_seed(0)
    ref = ref_cls(5, 4, batch_first=True)
    layer = cls(4, return_sequences=True, return_state=True, **kwargs)
    layer(torch.zeros(1, 2, 5))
    layer.load_state_dict(ref.state_dict(), strict=True)
    return layer, ref


@pytest.mark.parametrize("cls, ref_cls", KINDS, ids=lambda c: getattr(c, "__name__", ""))
def test_outputs_states_and_gradients_match_torch(cls, ref_cls):
    layer, ref = _pair(cls, ref_cls)
    x = torch.randn(3, 7, 5)
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out, *states = layer(xa)
    ref_out, ref_hidden = ref(xb)
    ref_states = list(ref_hidden) if isinstance(ref_hidden, tuple) else [ref_hidden]
    torch.testing.assert_close(out, ref_out)
    for ours, theirs in zip(states, ref_states):
        torch.testing.assert_close(ours, theirs[0])
    probe = torch.randn_like(out)
    ours = torch.autograd.grad((out * probe).sum(), [xa, layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0])
    theirs = torch.autograd.grad((ref_out * probe).sum(), [xb, ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0])
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)
    assert layer.last_path == FUSED


@pytest.mark.parametrize("cls, ref_cls", KINDS, ids=lambda c: getattr(c, "__name__", ""))
def test_step_loop_equals_fused_kernel_values_and_gradients(cls, ref_cls):
    fused, _ = _pair(cls, ref_cls)
    loop = cls(4, return_sequences=True, return_state=True, use_cudnn=False)
    loop(torch.zeros(1, 2, 5))
    loop.set_weights(fused.get_weights())
    x = torch.randn(3, 6, 5)
    a, b = fused(x), loop(x)
    assert loop.last_path == "step loop: use_cudnn=False"
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, atol=1e-6, rtol=1e-5)
    ga = torch.autograd.grad(a[0].sum(), fused.weight_hh_l0)[0]
    gb = torch.autograd.grad(b[0].sum(), loop.weight_hh_l0)[0]
    torch.testing.assert_close(ga, gb, atol=1e-5, rtol=1e-4)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_keras_layout_weights_against_numpy_recurrences_for_one_step():
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    step = torch.tensor(x[:, None, :], dtype=torch.float32)
    states = [torch.tensor(h0, dtype=torch.float32), torch.tensor(c0, dtype=torch.float32)]

    def run(layer, keras_weights, initial):
        layer(step)
        layer.set_weights(keras_weights)
        with torch.no_grad():
            return layer(step, initial_state=initial)

    # SimpleRNN: h = tanh(x K + h R + b)
    k, r, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=(4,))
    ours = run(SimpleRNN(4), [k, r, b], states[:1])
    np.testing.assert_allclose(ours.numpy(), np.tanh(x @ k + h0 @ r + b), rtol=1e-5, atol=1e-6)
    # LSTM: Keras gate order i, f, c, o
    k, r, b = rng.normal(size=(3, 16)), rng.normal(size=(4, 16)), rng.normal(size=(16,))
    z = x @ k + h0 @ r + b
    i, f, g, o = _sigmoid(z[:, :4]), _sigmoid(z[:, 4:8]), np.tanh(z[:, 8:12]), _sigmoid(z[:, 12:])
    c = f * c0 + i * g
    out, h, c_out = run(LSTM(4, return_state=True), [k, r, b], states)
    np.testing.assert_allclose(out.numpy(), o * np.tanh(c), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c_out.numpy(), c, rtol=1e-5, atol=1e-6)
    # GRU, reset_after=True: Keras gates z, r, h and a (2, 3·units) bias (input row, recurrent row)
    k, r, b = rng.normal(size=(3, 12)), rng.normal(size=(4, 12)), rng.normal(size=(2, 12))
    xk, hr = x @ k + b[0], h0 @ r + b[1]
    zg, rg = _sigmoid(xk[:, :4] + hr[:, :4]), _sigmoid(xk[:, 4:8] + hr[:, 4:8])
    hh = np.tanh(xk[:, 8:] + rg * hr[:, 8:])
    np.testing.assert_allclose(run(GRU(4), [k, r, b], states[:1]).numpy(), zg * h0 + (1 - zg) * hh,
                               rtol=1e-5, atol=1e-6)
    # GRU, reset_after=False: the reset gate multiplies the state before the recurrent kernel, one bias
    b1 = rng.normal(size=(12,))
    xk = x @ k + b1
    zg, rg = _sigmoid(xk[:, :4] + h0 @ r[:, :4]), _sigmoid(xk[:, 4:8] + h0 @ r[:, 4:8])
    hh = np.tanh(xk[:, 8:] + (rg * h0) @ r[:, 8:])
    layer = GRU(4, reset_after=False)
    np.testing.assert_allclose(run(layer, [k, r, b1], states[:1]).numpy(), zg * h0 + (1 - zg) * hh,
                               rtol=1e-5, atol=1e-6)
    assert layer.path == "step loop: reset_after=False"


@pytest.mark.parametrize("cls, ref_cls", KINDS, ids=lambda c: getattr(c, "__name__", ""))
def test_get_weights_round_trips_and_matches_keras_counts(cls, ref_cls):
    layer, _ = _pair(cls, ref_cls)
    weights = layer.get_weights()
    twin = cls(4, return_sequences=True, return_state=True)
    twin(torch.zeros(1, 2, 5))
    twin.set_weights(weights)
    x = torch.randn(2, 3, 5)
    torch.testing.assert_close(twin(x)[0], layer(x)[0])
    gates = {SimpleRNN: 1, LSTM: 4, GRU: 3}[cls]
    bias = (2, 12) if cls is GRU else (4 * gates,)
    assert [w.shape for w in weights] == [(5, 4 * gates), (4, 4 * gates), bias]
    assert layer.count_params() == sum(w.size for w in weights)


def test_keras_initial_values():
    lstm = LSTM(3)
    lstm(torch.zeros(1, 2, 4))
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # unit_forget_bias
    recurrent = GRU(5, kernel_initializer="ones")
    recurrent(torch.zeros(1, 2, 4))
    kernel, rec, _ = recurrent.get_weights()
    np.testing.assert_array_equal(kernel, np.ones((4, 15)))
    np.testing.assert_allclose(rec @ rec.T, np.eye(5), atol=1e-5)  # orthogonal in Keras' (units, 3·units) layout


def test_dropout_and_recurrent_dropout_train_only_and_choose_the_path():
    layer = LSTM(4, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = torch.randn(2, 5, 3)
    layer(x)
    assert layer.path == "step loop: recurrent_dropout"
    layer.eval()
    torch.testing.assert_close(layer(x), layer(x))
    layer.train()
    assert not torch.allclose(layer(x), layer(x))
    assert LSTM(4, dropout=0.5).path == FUSED  # input dropout keeps torch's kernel (as Keras' cuDNN rule)


def test_relu_simple_rnn_is_fused_and_custom_activations_loop():
    torch.manual_seed(0)
    ref = nn.RNN(3, 4, nonlinearity="relu", batch_first=True)
    layer = SimpleRNN(4, activation="relu", return_sequences=True)
    layer(torch.zeros(1, 1, 3))
    layer.load_state_dict(ref.state_dict())
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(layer(x), ref(x)[0])
    assert layer.last_path == FUSED
    assert SimpleRNN(4, activation="gelu").path == "step loop: activation"
    assert LSTM(4, recurrent_activation="relu").path == "step loop: recurrent_activation"
    with pytest.raises(ValueError, match="use_cudnn=True"):
        GRU(3, reset_after=False, use_cudnn=True)


@pytest.mark.parametrize("cls, ref_cls", KINDS, ids=lambda c: getattr(c, "__name__", ""))
def test_go_backwards_reads_the_reversed_sequence(cls, ref_cls):
    layer, _ = _pair(cls, ref_cls)
    back = cls(4, return_sequences=True, go_backwards=True)
    back(torch.zeros(1, 2, 5))
    back.set_weights(layer.get_weights())
    x = torch.randn(2, 6, 5)
    torch.testing.assert_close(back(x), layer(x.flip(1))[0])  # outputs in reversed order, as Keras


def test_stateful_carries_state_across_batches_until_reset():
    layer = GRU(3, stateful=True)
    whole = GRU(3, return_sequences=True)
    x = torch.randn(2, 8, 4)
    layer(x[:, :4])
    whole(x[:, :1])
    whole.set_weights(layer.get_weights())
    layer.reset_states()
    first = layer(x[:, :4])
    second = layer(x[:, 4:])
    reference = whole(x)
    torch.testing.assert_close(first, reference[:, 3])
    torch.testing.assert_close(second, reference[:, 7])
    layer.reset_states()
    torch.testing.assert_close(layer(x[:, 4:]), whole(x[:, 4:])[:, -1])
    model = Sequential([glassnet.Input(batch_shape=(2, 4, 4)), layer])
    model.reset_states()  # Keras 2's name, used between epochs in stateful tutorials
    torch.testing.assert_close(model(x[:, 4:]), whole(x[:, 4:])[:, -1])
    layer(x[:, :4])
    other = torch.randn(3, 2, 4)  # another batch size starts afresh, as after reset_states()
    torch.testing.assert_close(layer(other), whole(other)[:, -1])


def test_initial_state_and_return_state():
    layer = LSTM(3, return_state=True)
    x = torch.randn(2, 4, 5)
    out, h, c = layer(x)
    torch.testing.assert_close(out, h)
    out2, _, _ = layer(x, initial_state=[h, c])
    assert not torch.allclose(out, out2)
    again, _, _ = layer(x, initial_state=[torch.zeros(2, 3), torch.zeros(2, 3)])
    torch.testing.assert_close(again, out)


def test_simple_rnn_exposes_the_course_weights():
    rnn = SimpleRNN(3)
    x = torch.randn(1, 4, 2)
    y = rnn(x)
    s = torch.zeros(3)
    for t in range(4):  # s(t) = tanh(U·x(t) + W·s(t−1) + b)
        s = torch.tanh(rnn.U @ x[0, t] + rnn.W @ s + rnn.b)
    torch.testing.assert_close(y[0], s)


def test_rnn_with_builtin_cells_equals_the_layers():
    x = torch.randn(2, 5, 3)
    for cell, cls in ((SimpleRNNCell(4), SimpleRNN), (LSTMCell(4), LSTM), (GRUCell(4), GRU)):
        wrapper = RNN(cell, return_sequences=True)
        layer = cls(4, return_sequences=True)
        layer(x)
        wrapper(x)
        wrapper.set_weights(layer.get_weights())
        torch.testing.assert_close(wrapper(x), layer(x), atol=1e-6, rtol=1e-5)


def test_cells_match_torch_cells():
    torch.manual_seed(0)
    x, h, c = torch.randn(3, 5), torch.randn(3, 4), torch.randn(3, 4)
    for ours, theirs, states in ((LSTMCell(4), nn.LSTMCell(5, 4), [h, c]), (GRUCell(4), nn.GRUCell(5, 4), [h]),
                                 (SimpleRNNCell(4), nn.RNNCell(5, 4), [h])):
        ours(x, states)
        ours.load_state_dict(theirs.state_dict(), strict=True)
        out, new = ours(x, states)
        expected = theirs(x, tuple(states)) if len(states) == 2 else theirs(x, states[0])
        torch.testing.assert_close(new[-1], expected[-1] if len(states) == 2 else expected)


class MinimalRNNCell(glassnet.layers.Layer):
    """The Keras documentation's own cell: output = x·K + h·R."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        self.kernel = self.add_weight(shape=(shape[-1], self.units), initializer="random_uniform")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="random_uniform")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]


def test_rnn_runs_a_users_cell_and_saves(tmp_path):
    layer = RNN(MinimalRNNCell(3), return_sequences=True, return_state=True)
    x = torch.randn(2, 4, 5)
    seq, state = layer(x)
    h = torch.zeros(2, 3)
    for t in range(4):
        h = x[:, t] @ layer.cell.kernel + h @ layer.cell.recurrent_kernel
    torch.testing.assert_close(state, h)
    torch.testing.assert_close(seq[:, -1], h)
    model = Sequential([glassnet.Input(shape=(4, 5)), RNN(MinimalRNNCell(3))])
    model.save(tmp_path / "cell.keras")
    loaded = glassnet.models.load_model(tmp_path / "cell.keras")
    torch.testing.assert_close(loaded(x), model(x))


@pytest.mark.parametrize("make", [lambda: LSTM(6, return_sequences=True, dropout=0.1),
                                  lambda: GRU(6, reset_after=False, go_backwards=True),
                                  lambda: SimpleRNN(6, activation="relu", unroll=True)],
                         ids=["lstm", "gru", "simple_rnn"])
def test_save_load_round_trip_and_config(make, tmp_path):
    layer = make()
    model = Sequential([glassnet.Input(shape=(5, 3)), layer, Dense(2)])
    x = torch.randn(2, 5, 3)
    model.eval()
    model.save(tmp_path / "rnn.keras")
    loaded = glassnet.models.load_model(tmp_path / "rnn.keras")
    loaded.eval()
    torch.testing.assert_close(loaded(x), model(x))
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == {**config, "name": clone.name}


def test_fit_learns_a_sequence_task():
    torch.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 10, 1)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]  # the running sum: a job for a recurrent state
    model = Sequential([glassnet.Input(shape=(10, 1)), LSTM(16), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.2 * before


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_2d_input_error_says_what_shape_is_needed(cls):
    with pytest.raises(ShapeError, match=r"needs 3-D input \(batch, timesteps, features\).*x.reshape\(32, 10, 1\)"):
        cls(4)(torch.zeros(32, 10))
    model = Sequential([glassnet.Input(shape=(10,)), Dense(3)])
    with pytest.raises(ShapeError, match="timesteps"):
        model.add(cls(4))


def test_summary_shows_which_kernel_runs():
    model = Sequential([glassnet.Input(shape=(6, 3)), LSTM(4, return_sequences=True),
                        GRU(4, recurrent_dropout=0.2), Dense(1)])
    text = model.summary(print_fn=lambda line: None, line_length=120)
    assert "fused (torch/cuDNN kernel)" in text
    assert "step loop: recurrent_dropout" in text
    assert "Total params: 253" in text  # 4·4·(3+4+1) + 3·4·(4+4+2) + 5, as Keras counts


def test_functional_encoder_decoder_with_initial_state_trains_and_saves(tmp_path):
    encoder_in, decoder_in = glassnet.Input(shape=(None, 5)), glassnet.Input(shape=(None, 6))
    _, h, c = LSTM(8, return_state=True)(encoder_in)
    decoded = LSTM(8, return_sequences=True)(decoder_in, initial_state=[h, c])
    model = glassnet.models.Model([encoder_in, decoder_in], Dense(6, activation="softmax")(decoded))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    a, b = rng.random((16, 7, 5), dtype=np.float32), rng.random((16, 4, 6), dtype=np.float32)
    y = np.eye(6, dtype=np.float32)[rng.integers(0, 6, (16, 4))]
    model.fit([a, b], y, epochs=1, verbose=0)
    model.save(tmp_path / "seq2seq.keras")
    loaded = glassnet.models.load_model(tmp_path / "seq2seq.keras")
    inputs = [torch.from_numpy(a), torch.from_numpy(b)]
    torch.testing.assert_close(loaded(inputs), model(inputs))
    assert not torch.allclose(model(inputs), model([inputs[0] * 0, inputs[1]]))  # the decoder hears the encoder


def test_course_weights_reproduce_the_model_and_the_unrolled_picture_draws(tmp_path):
    from glassnet.layers.unrolled import course_weights, plot_unrolled
    rnn, dense = SimpleRNN(3, return_sequences=True), Dense(2)
    x = torch.randn(1, 4, 5)
    y = dense(rnn(x))
    w = course_weights(rnn, dense)
    s = torch.zeros(3)
    for t in range(4):  # s(t) = tanh(U·x(t) + W·s(t−1) + b), o(t) = V·s(t) + c
        s = torch.tanh(w["U"] @ x[0, t] + w["W"] @ s + w["b"])
        torch.testing.assert_close(y[0, t], w["V"] @ s + w["c"])
    plot_unrolled(rnn, steps=3, output=dense, filename=tmp_path / "unrolled.png")
    assert (tmp_path / "unrolled.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="built SimpleRNN"):
        course_weights(SimpleRNN(2))


@pytest.mark.slow  # the first torch.compile of a process imports and warms up inductor
def test_torch_compile_gives_the_same_values_and_gradients():
    layer = LSTM(3)
    x = torch.randn(2, 3, 2)
    eager = layer(x)
    compiled = torch.compile(layer)(x)
    torch.testing.assert_close(compiled, eager)
    assert layer.last_path == "step loop: torch.compile"  # inductor cannot lower the fused CPU kernel with gradients
    torch.testing.assert_close(torch.autograd.grad(compiled.sum(), layer.weight_hh_l0)[0],
                               torch.autograd.grad(eager.sum(), layer.weight_hh_l0)[0])


def test_cpu_bf16_autocast_runs_the_fused_kernel_in_float32():
    layer = LSTM(3, return_sequences=True)
    x = torch.randn(2, 4, 5)
    expected = layer(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # oneDNN has no bf16 LSTM here; torch's nn.LSTM fails
        out = layer(x)
    torch.testing.assert_close(out, expected)
    model = Sequential([glassnet.Input(shape=(4, 5)), GRU(3), Dense(1)])
    model.compile(optimizer="adam", loss="mse", precision="bfloat16")
    history = model.fit(x.numpy(), np.ones((2, 1), "float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_stateful_model_summarises_fits_and_resets():
    x, y = np.random.default_rng(0).random((8, 5, 1), dtype=np.float32), np.ones((8, 1), np.float32)
    model = Sequential([glassnet.Input(batch_shape=(4, 5, 1)), LSTM(3, stateful=True), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.summary(print_fn=lambda line: None)  # one sample: starts afresh, does not break the batches of 4
    for _ in range(2):
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        assert model.layers[0].states[0].shape == (4, 3)
        model.reset_states()
        assert model.layers[0].states is None
