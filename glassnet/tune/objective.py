"""One trial of a search: build a model from the trial's choices, train it, score it on the dev set.

:class:`Objective` is what Optuna calls with each trial. It is a plain object (not a closure) so that
``search(..., workers=N)`` can send it to other processes.

>>> import optuna, numpy as np
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> def build(hp):
...     model = Sequential([Input(shape=(4,)), Dense(hp.Int('units', 2, 8), activation='relu'), Dense(1)])
...     model.compile(optimizer='adam', loss='mse')
...     return model
>>> x = np.random.default_rng(0).normal(size=(32, 4)).astype('float32'); y = x.sum(axis=1)
>>> objective = Objective(build, x, y, validation_data=(x, y), epochs=2, batch_size=16, objective='val_loss')
>>> value = objective(optuna.trial.FixedTrial({'units': 4}))
>>> value > 0
True
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable

import optuna

from glassnet.errors import InvalidArgumentError, NaNLossError, NotCompiledError, UnknownNameError
from glassnet.tune.hyperparameters import HyperParameters
from glassnet.tune.pruning import PruningCallback

#: names of ``build``'s first parameter that get the KerasTuner-like ``hp`` instead of the Optuna trial
HP_NAMES = ("hp", "hps", "hyperparameters")


def build_api(build: Callable, api: str = "auto") -> str:
    """'hp' or 'trial': what ``build`` receives. 'auto' looks at the name of its first parameter.

    >>> build_api(lambda hp: None), build_api(lambda trial: None), build_api(lambda t: None, api='hp')
    ('hp', 'trial', 'hp')
    """
    if api not in ("auto", "hp", "trial"):
        raise InvalidArgumentError(f"api={api!r}: use 'trial' (build gets the Optuna trial), 'hp' (build gets "
                                   "KerasTuner-like hp.Int/hp.Float/hp.Choice) or 'auto' (decided by the name of "
                                   "build's first parameter: hp -> 'hp', anything else -> 'trial').")
    if api != "auto":
        return api
    try:
        first = next(iter(inspect.signature(build).parameters), "trial")
    except (TypeError, ValueError):  # a callable without a signature (some C functions): Optuna's API
        first = "trial"
    return "hp" if first in HP_NAMES else "trial"


class Objective:
    """Train ``build(trial)``'s model on ``x, y`` for ``epochs`` and return its last ``objective`` value
    on the dev set. A parameter named ``batch_size`` that the trial chose is used as fit's batch size.
    Pruned and diverged (NaN loss) trials raise ``optuna.TrialPruned``. A trial that is the best so far
    saves its model to ``output/trials/trial_<number>.glassnet``."""

    def __init__(self, build: Callable, x: Any, y: Any = None, *, validation_data: Any = None,
                 validation_split: float = 0.0, epochs: int = 10, batch_size: int = 32,
                 objective: str = "val_loss", direction: str = "minimize", api: str = "auto",
                 output: Path | None = None, seed: int | None = None, fit_kwargs: dict | None = None):
        self.build, self.api = build, build_api(build, api)
        self.x, self.y, self.validation_data, self.validation_split = x, y, validation_data, validation_split
        self.epochs, self.batch_size, self.objective, self.direction = epochs, batch_size, objective, direction
        self.output, self.seed, self.fit_kwargs = output, seed, dict(fit_kwargs or {})
        self.callbacks = list(self.fit_kwargs.pop("callbacks", None) or [])

    def __call__(self, trial: optuna.Trial) -> float:
        if self.seed is not None:
            from glassnet.utils import set_random_seed
            set_random_seed(self.seed + trial.number)
        model = self.build(HyperParameters(trial) if self.api == "hp" else trial)
        self._check(model)
        pruning = PruningCallback(trial, monitor=self.objective)
        try:
            history = model.fit(self.x, self.y, validation_data=self.validation_data,
                                validation_split=self.validation_split, epochs=self.epochs,
                                batch_size=int(trial.params.get("batch_size", self.batch_size)),
                                callbacks=[pruning, *self.callbacks], verbose=0,
                                **self.fit_kwargs)
        except NaNLossError as err:  # a diverged trial tells the sampler "not here", like a pruned one
            trial.set_user_attr("diverged", str(err).split(";")[0])
            raise optuna.TrialPruned(str(err)) from None
        trial.set_user_attr("epochs", len(history.epoch))
        pruning.raise_if_pruned()
        value = float(history.history[self.objective][-1])
        if self.output is not None and _best_so_far(trial, value, self.direction):
            path = Path(self.output) / "trials" / f"trial_{trial.number:03d}.glassnet"
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
            trial.set_user_attr("model_path", str(path))
        return value

    def _check(self, model: Any) -> None:
        """A compiled model that logs the objective, or an error saying what to fix in build."""
        name = getattr(self.build, "__name__", "build")
        if not hasattr(model, "fit") or not hasattr(model, "compiled"):
            raise InvalidArgumentError(f"{name}(trial) returned {type(model).__name__}, not a glassnet model. "
                                       "Return the model you built, e.g. `return model` at the end.")
        if model.compiled is None:
            raise NotCompiledError(f"{name}(trial) returned a model that is not compiled. Call model.compile("
                                   "optimizer=..., loss=..., metrics=[...]) inside it before `return model`, so "
                                   "each trial can choose its own optimizer and learning rate.")
        logged = [*model.metrics_names, *(f"val_{n}" for n in model.metrics_names)]
        if self.objective not in logged:
            raise UnknownNameError(f"objective={self.objective!r} is not a value fit logs for this model. Available: "
                                   f"{', '.join(logged)}. Pick one of those (or add the metric to compile's "
                                   "metrics=[...]).")


def _best_so_far(trial: optuna.Trial, value: float, direction: str) -> bool:
    """Whether ``value`` ties or beats every finished trial of the study (ask the storage: other workers count)."""
    try:
        best = trial.study.best_value
    except ValueError:  # no finished trial yet
        return True
    return value <= best if direction == "minimize" else value >= best
