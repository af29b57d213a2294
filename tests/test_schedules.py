"""Learning-rate schedules against Keras' formulas (written out here) and torch's OneCycleLR."""

from __future__ import annotations

import json
import math

import pytest
import torch

from glassnet.errors import UnknownNameError
from glassnet.optimizers import SGD, schedules
from glassnet.optimizers.schedules import (CosineDecay, ExponentialDecay, InverseTimeDecay, OneCycle,
                                           PiecewiseConstantDecay, PolynomialDecay)

STEPS = [0, 1, 5, 9, 10, 11, 37, 100, 250, 1000]


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    lr = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=staircase)
    for step in STEPS:
        p = step // 10 if staircase else step / 10
        assert lr(step) == pytest.approx(0.1 * 0.5 ** p, rel=1e-12)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    lr = InverseTimeDecay(0.1, decay_steps=7, decay_rate=0.3, staircase=staircase)
    for step in STEPS:
        p = math.floor(step / 7) if staircase else step / 7
        assert lr(step) == pytest.approx(0.1 / (1 + 0.3 * p), rel=1e-12)


def test_polynomial_decay_clamps_and_cycles():
    lr = PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.001, power=2.0)
    for step in STEPS:
        s = min(step, 100)
        assert lr(step) == pytest.approx((0.1 - 0.001) * (1 - s / 100) ** 2 + 0.001, rel=1e-12)
    cyc = PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.001, cycle=True)
    assert cyc(0) == pytest.approx(0.1)
    assert cyc(100) == pytest.approx(0.001)
    # step 150: decay_steps becomes 200 (the first multiple above the step)
    assert cyc(150) == pytest.approx((0.1 - 0.001) * (1 - 150 / 200) + 0.001)
    assert PolynomialDecay(0.1, 10)(10) == pytest.approx(0.0001)  # Keras default end_learning_rate


def test_piecewise_constant_boundaries_are_inclusive_on_the_left_interval():
    lr = PiecewiseConstantDecay(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    assert [lr(s) for s in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="one more value"):
        PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


def test_cosine_decay_without_and_with_warmup():
    lr = CosineDecay(0.1, decay_steps=100, alpha=0.1)
    for step in STEPS:
        s = min(step, 100)
        assert lr(step) == pytest.approx(0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * s / 100)) + 0.1), rel=1e-12)
    warm = CosineDecay(0.01, decay_steps=100, warmup_target=0.1, warmup_steps=20)
    for step in STEPS:
        s = min(step, 120)
        if s < 20:
            expected = 0.01 + (0.1 - 0.01) * s / 20
        else:
            expected = 0.1 * 0.5 * (1 + math.cos(math.pi * (s - 20) / 100))
        assert warm(step) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("total, pct, div, final_div", [(100, 0.25, 25.0, 1e4), (37, 0.3, 10.0, 100.0),
                                                        (10, 0.5, 25.0, 1e4)])
def test_one_cycle_matches_torch_onecyclelr(total, pct, div, final_div):
    ours = OneCycle(max_learning_rate=0.3, total_steps=total, pct_start=pct, div_factor=div,
                    final_div_factor=final_div)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=total, pct_start=pct,
                                                div_factor=div, final_div_factor=final_div,
                                                anneal_strategy="cos", cycle_momentum=False)
    for step in range(total):
        assert ours(step) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12), step
        opt.step()
        sched.step()
    assert ours(total + 50) == ours(total - 1)  # stays at the final value afterwards


def test_one_cycle_tiny_warmup_does_not_divide_by_zero():
    lr = OneCycle(0.1, total_steps=4, pct_start=0.25)  # warm-up shorter than one step
    assert lr(0) == pytest.approx(0.1) and lr(3) == pytest.approx(0.1 / 25 / 1e4)


ALL_SCHEDULES = [ExponentialDecay(0.1, 10, 0.5, staircase=True), InverseTimeDecay(0.1, 10, 0.5),
                 PolynomialDecay(0.1, 10, 0.01, power=0.5, cycle=True), PiecewiseConstantDecay([3], [0.1, 0.01]),
                 CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.1, warmup_steps=5), OneCycle(0.1, 50)]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedules_are_plain_floats_and_round_trip_through_json(schedule):
    saved = json.loads(json.dumps(schedules.serialize(schedule)))
    again = schedules.deserialize(saved)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    for step in range(0, 60, 7):
        value = schedule(step)
        assert type(value) is float and value == again(step)


def test_optimizer_with_schedule_saves_and_reloads_it():
    opt = SGD(learning_rate=OneCycle(0.1, 100))
    from glassnet import optimizers
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert isinstance(again._learning_rate, OneCycle)


def test_serialize_errors_are_clear():
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        schedules.serialize(lambda step: 0.1)
    with pytest.raises(UnknownNameError, match="CosineDecay"):
        schedules.deserialize({"class_name": "CosineDecayy", "config": {}})
    with pytest.raises(ValueError, match="decay_steps"):
        ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)


def test_custom_schedule_deserializes_with_custom_objects():
    class Halve(schedules.LearningRateSchedule):
        def __init__(self, lr):
            self.lr = lr

        def __call__(self, step):
            return self.lr / 2 ** step

        def get_config(self):
            return {"lr": self.lr}

    again = schedules.deserialize(schedules.serialize(Halve(1.0)), custom_objects={"Halve": Halve})
    assert again(2) == 0.25
