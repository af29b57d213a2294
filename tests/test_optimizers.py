"""Optimizers: each one against torch.optim with the mapped hyper-parameters AND against Keras' own
update formulas (NumPy, float64), Keras defaults, config/state round trips, clipping, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from glassnet import optimizers
from glassnet.errors import NotCompiledError, UnknownNameError
from glassnet.optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, Nadam, RMSprop
from glassnet.optimizers.schedules import ExponentialDecay, PiecewiseConstantDecay

SHAPES = [(5, 3), (3,)]
STEPS = 6


def _grads(dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    return [[torch.randn(s, generator=g, dtype=dtype) for s in SHAPES] for _ in range(STEPS)]


def _params(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    return [torch.nn.Parameter(torch.randn(s, generator=g, dtype=dtype)) for s in SHAPES]


def _run_glassnet(opt, dtype=torch.float32):
    params = _params(dtype)
    opt.build(params)
    for grads in _grads(dtype):
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
    return [p.detach() for p in params]


def _run_torch(cls, dtype=torch.float32, **kwargs):
    params = _params(dtype)
    opt = cls(params, foreach=False, **kwargs)
    for grads in _grads(dtype):
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
    return [p.detach() for p in params]


# (glassnet optimizer, torch class, torch kwargs it must be equivalent to)
TORCH_CASES = [
    (lambda: SGD(), torch.optim.SGD, dict(lr=0.01)),
    (lambda: SGD(0.1, momentum=0.9, nesterov=True), torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (lambda: RMSprop(), torch.optim.RMSprop, dict(lr=1e-3, alpha=0.9, eps=1e-7)),
    (lambda: RMSprop(0.01, rho=0.8, momentum=0.5, centered=True), torch.optim.RMSprop,
     dict(lr=0.01, alpha=0.8, eps=1e-7, momentum=0.5, centered=True)),
    (lambda: Adam(), torch.optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-7)),
    (lambda: Adam(0.01, beta_1=0.8, beta_2=0.99, amsgrad=True), torch.optim.Adam,
     dict(lr=0.01, betas=(0.8, 0.99), eps=1e-7, amsgrad=True)),
    (lambda: Adam(0.01, weight_decay=0.1), torch.optim.AdamW, dict(lr=0.01, eps=1e-7, weight_decay=0.1)),
    (lambda: AdamW(), torch.optim.AdamW, dict(lr=1e-3, eps=1e-7, weight_decay=0.004)),
    (lambda: Adagrad(), torch.optim.Adagrad, dict(lr=1e-3, initial_accumulator_value=0.1, eps=1e-7)),
    (lambda: Adadelta(), torch.optim.Adadelta, dict(lr=1e-3, rho=0.95, eps=1e-7)),
    (lambda: Nadam(), torch.optim.NAdam, dict(lr=1e-3, eps=1e-7, momentum_decay=1.0)),
]


@pytest.mark.parametrize("make, torch_cls, torch_kwargs", TORCH_CASES,
                         ids=[f"{c[1].__name__}-{i}" for i, c in enumerate(TORCH_CASES)])
def test_matches_torch_optimizer_with_mapped_hyperparameters(make, torch_cls, torch_kwargs):
    ours = _run_glassnet(make())
    ref = _run_torch(torch_cls, **torch_kwargs)
    for a, b in zip(ours, ref):
        # fused/foreach kernels vs torch's reference loop: equal up to float32 rounding
        torch.testing.assert_close(a, b, rtol=2e-6, atol=2e-6)


# ---- Keras 3 update rules, written out in NumPy (float64) -------------------------------------------
def _keras_reference(name, hp, params, grads_per_step):
    params = [p.copy() for p in params]
    lr, wd = hp["learning_rate"], hp.get("weight_decay") or 0.0
    state = [dict() for _ in params]
    u_product = 1.0
    for t, grads in enumerate(grads_per_step, start=1):
        if name == "nadam":
            u_product *= hp["beta_1"] * (1 - 0.5 * 0.96 ** t)
        for i, (p, g) in enumerate(zip(params, grads)):
            s = state[i]
            p -= p * wd * lr  # Keras applies decoupled weight decay before every optimizer's update
            if name == "sgd":
                m = s["m"] = hp["momentum"] * s.get("m", 0.0) - lr * g
                p += (hp["momentum"] * m - lr * g) if hp["nesterov"] else m
            elif name == "rmsprop":
                v = s["v"] = hp["rho"] * s.get("v", 0.0) + (1 - hp["rho"]) * g * g
                denominator = v + hp["epsilon"]
                if hp["centered"]:
                    a = s["a"] = hp["rho"] * s.get("a", 0.0) + (1 - hp["rho"]) * g
                    denominator = v - a * a + hp["epsilon"]
                increment = lr * g / np.sqrt(denominator)
                if hp["momentum"] > 0:
                    increment = s["mom"] = hp["momentum"] * s.get("mom", 0.0) + increment
                p -= increment
            elif name in ("adam", "adamw"):
                b1, b2 = hp["beta_1"], hp["beta_2"]
                alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                m = s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
                v = s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
                if hp["amsgrad"]:
                    v = s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
                p -= m * alpha / (np.sqrt(v) + hp["epsilon"])
            elif name == "adagrad":
                acc = s["acc"] = s.get("acc", hp["initial_accumulator_value"]) + g * g
                p -= lr * g / np.sqrt(acc + hp["epsilon"])
            elif name == "adadelta":
                rho, eps = hp["rho"], hp["epsilon"]
                ag = s["ag"] = rho * s.get("ag", 0.0) + (1 - rho) * g * g
                delta = -np.sqrt(s.get("ad", 0.0) + eps) * g / np.sqrt(ag + eps)
                s["ad"] = rho * s.get("ad", 0.0) + (1 - rho) * delta * delta
                p += lr * delta
            elif name == "nadam":
                b1, b2 = hp["beta_1"], hp["beta_2"]
                u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
                m = s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
                v = s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
                m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
                p -= m_hat * lr / (np.sqrt(v / (1 - b2 ** t)) + hp["epsilon"])
    return params


KERAS_CASES = [
    ("sgd", {}), ("sgd", dict(learning_rate=0.1, momentum=0.9)),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("rmsprop", {}), ("rmsprop", dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True)),
    ("rmsprop", dict(learning_rate=0.01, weight_decay=0.1)),
    ("adam", {}), ("adam", dict(learning_rate=0.01, amsgrad=True, weight_decay=0.1)),
    ("adamw", {}), ("adamw", dict(learning_rate=0.05, weight_decay=0.1)),
    ("adagrad", {}), ("adagrad", dict(learning_rate=0.1, weight_decay=0.01)),
    ("adadelta", {}), ("adadelta", dict(learning_rate=1.0, rho=0.9)),
    ("nadam", {}), ("nadam", dict(learning_rate=0.01, beta_1=0.8)),
]


KERAS_RTOL = {"rmsprop": 1e-3, "adagrad": 1e-4, "adam": 1e-4, "adamw": 1e-4}


@pytest.mark.parametrize("name, overrides", KERAS_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(KERAS_CASES)])
def test_matches_keras_update_formulas(name, overrides):
    opt = optimizers.get(name)
    opt = type(opt).from_config({**opt.get_config(), **overrides})
    hp = opt.get_config()
    ours = _run_glassnet(opt, dtype=torch.float64)
    start = [p.detach().numpy() for p in _params(torch.float64)]
    grads = [[g.numpy() for g in step] for step in _grads(torch.float64)]
    ref = _keras_reference(name, hp, start, grads)
    for a, b, p0 in zip(ours, ref, start):
        # compare the total update (not the weights) so small differences are not hidden by |w| ~ 1.
        # Keras puts epsilon inside the sqrt (RMSprop, Adagrad) or uses Adam's epsilon-hat; torch adds it
        # outside: a relative difference ~ epsilon / sqrt(v), largest for RMSprop's small early v.
        # A wrong mapping (e.g. torch's rho 0.99 or eps 1e-8 defaults) is off by > 1e-2.
        np.testing.assert_allclose(a.numpy() - p0, b - p0, rtol=KERAS_RTOL.get(name, 2e-5), atol=1e-10)


KERAS_DEFAULTS = {
    "sgd": dict(learning_rate=0.01, momentum=0.0, nesterov=False),
    "rmsprop": dict(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False),
    "adam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    "adamw": dict(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
    "adagrad": dict(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7),
    "adadelta": dict(learning_rate=0.001, rho=0.95, epsilon=1e-7),
    "nadam": dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
}


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS))
def test_keras_defaults(name):
    config = optimizers.get(name).get_config()
    for key, value in KERAS_DEFAULTS[name].items():
        assert config[key] == value, (name, key)
    assert name in optimizers.ALL and hasattr(optimizers, type(optimizers.get(name)).__name__)
    opt = optimizers.get(name)
    opt.build(_params())
    torch_defaults = opt.torch_optimizer.defaults
    assert torch_defaults["lr"] == config["learning_rate"]
    if "epsilon" in config:  # too small to show in the update test: check the mapping itself
        assert torch_defaults["eps"] == config["epsilon"]


@pytest.mark.parametrize("name", sorted(optimizers.ALL))
def test_config_round_trip_is_json_and_rebuilds_the_same_optimizer(name):
    opt = optimizers.get(name)
    opt.learning_rate = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    saved = json.loads(json.dumps(optimizers.serialize(opt)))
    again = optimizers.get(saved)
    assert type(again) is type(opt)
    assert again.get_config() == opt.get_config()
    assert again.learning_rate == pytest.approx(0.1)


@pytest.mark.parametrize("name", sorted(optimizers.ALL))
def test_state_dict_round_trip_resumes_identically(name):
    def train(opt, params, steps):
        for grads in _grads()[:steps]:
            for p, g in zip(params, grads):
                p.grad = g.clone()
            opt.step()

    a = optimizers.get(name)
    a.learning_rate = 0.05
    pa = _params()
    a.build(pa)
    train(a, pa, 3)
    state = a.state_dict()
    pb = [torch.nn.Parameter(p.detach().clone()) for p in pa]
    b = optimizers.get(name)
    b.learning_rate = 0.05  # hyper-parameters come from the configuration (load_model: the saved config), not the state
    b.build(pb)
    b.load_state_dict(state)
    assert b.iterations == 3 and b.learning_rate == pytest.approx(0.05)
    train(a, pa, 3)
    train(b, pb, 3)
    for x, y in zip(pa, pb):
        torch.testing.assert_close(x, y, rtol=0, atol=0)


def test_state_dict_before_build_says_what_to_do():
    with pytest.raises(NotCompiledError, match="build"):
        Adam().state_dict()


def test_unknown_name_lists_valid_names_and_suggests():
    with pytest.raises(UnknownNameError) as info:
        optimizers.get("adma")
    message = str(info.value)
    assert "Did you mean 'adam'" in message
    for name in optimizers.ALL:
        assert name in message


def test_get_accepts_names_case_insensitively_classes_and_instances():
    assert isinstance(optimizers.get("RMSProp"), RMSprop)
    assert isinstance(optimizers.get(AdamW), AdamW)
    opt = Nadam()
    assert optimizers.get(opt) is opt


def test_learning_rate_setter_changes_the_next_step():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = SGD(learning_rate=0.1)
    opt.build([w])
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.torch_optimizer.param_groups[0]["lr"] == 0.5
    w.grad = torch.ones(2)
    opt.step()
    torch.testing.assert_close(w.detach(), torch.full((2,), -0.5))


def test_schedule_gives_the_learning_rate_of_each_step():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = SGD(learning_rate=PiecewiseConstantDecay([1], [1.0, 0.1]))
    opt.build([w])
    seen = []
    for _ in range(3):
        w.grad = torch.ones(1)
        before = w.item()
        opt.step()
        seen.append(round(before - w.item(), 6))
    assert seen == [1.0, 1.0, 0.1]


def test_clipnorm_clips_each_tensor_by_its_own_norm():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = SGD(learning_rate=1.0, clipnorm=1.0)
    opt.build([a, b])
    a.grad, b.grad = torch.tensor([3.0, 4.0]), torch.tensor([0.3, 0.4])  # norms 5 (clipped) and 0.5 (kept)
    opt.step()
    torch.testing.assert_close(a.detach(), torch.tensor([-0.6, -0.8]))
    torch.testing.assert_close(b.detach(), torch.tensor([-0.3, -0.4]))


def test_global_clipnorm_and_clipvalue():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    opt = SGD(learning_rate=1.0, global_clipnorm=1.0)
    opt.build([a, b])
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])  # global norm 5
    opt.step()
    torch.testing.assert_close(torch.cat([a.detach(), b.detach()]), torch.tensor([-0.6, 0.0, 0.0, -0.8]))
    c = torch.nn.Parameter(torch.zeros(3))
    opt = SGD(learning_rate=1.0, clipvalue=0.5)
    opt.build([c])
    c.grad = torch.tensor([2.0, -0.1, -3.0])
    opt.step()
    torch.testing.assert_close(c.detach(), torch.tensor([-0.5, 0.1, 0.5]))


def test_fast_kernels_are_chosen_on_cpu():
    params = [torch.nn.Parameter(torch.zeros(3))]
    for cls, flag in [(SGD, "fused"), (Adam, "fused"), (AdamW, "fused"), (Adagrad, "fused"),
                      (RMSprop, "foreach"), (Adadelta, "foreach"), (Nadam, "foreach")]:
        opt = cls()
        opt.build(params)
        assert opt.torch_optimizer.defaults.get(flag) is True, cls.__name__
    half = [torch.nn.Parameter(torch.zeros(3, dtype=torch.float16))]
    opt = Adam()
    opt.build(half)  # no fused fp16 on CPU: falls back to foreach instead of failing
    assert not opt.torch_optimizer.defaults.get("fused")


def test_frozen_weights_without_grads_are_not_decayed():
    a, frozen = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
    opt = RMSprop(learning_rate=0.1, weight_decay=0.5)
    opt.build([a, frozen])
    a.grad = torch.zeros(2)
    opt.step()
    torch.testing.assert_close(a.detach(), torch.full((2,), 0.95))
    torch.testing.assert_close(frozen.detach(), torch.ones(2))
