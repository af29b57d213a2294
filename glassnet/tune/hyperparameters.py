"""KerasTuner's ``hp`` object on top of an Optuna trial.

A course that uses KerasTuner writes ``def build(hp): ... hp.Int('units', 32, 512, step=32) ...``.
:class:`HyperParameters` gives that ``hp`` to the same function, and each call is one of Optuna's
``trial.suggest_*`` calls, so the sampler, the pruner and the storage are Optuna's:

=====================================================  ==================================================
KerasTuner                                             Optuna
=====================================================  ==================================================
``hp.Int(name, lo, hi, step=s, sampling='log')``       ``trial.suggest_int(name, lo, hi, step=s, log=True)``
``hp.Float(name, lo, hi, step=s, sampling='log')``     ``trial.suggest_float(name, lo, hi, step=s, log=True)``
``hp.Choice(name, [a, b, c])``                         ``trial.suggest_categorical(name, [a, b, c])``
``hp.Boolean(name)``                                   ``trial.suggest_categorical(name, [False, True])``
``hp.Fixed(name, value)``                              ``value`` (kept in the trial's user attributes)
=====================================================  ==================================================

>>> import optuna
>>> hp = HyperParameters(optuna.trial.FixedTrial({'units': 64, 'lr': 1e-3, 'act': 'relu'}))
>>> hp.Int('units', 32, 128, step=32), hp.Float('lr', 1e-4, 1e-1, sampling='log'), hp.Choice('act', ['relu', 'tanh'])
(64, 0.001, 'relu')
>>> hp.values
{'units': 64, 'lr': 0.001, 'act': 'relu'}
"""

from __future__ import annotations

from typing import Any, Sequence

from glassnet.errors import InvalidArgumentError

SAMPLINGS = ("linear", "log")


class HyperParameters:
    """KerasTuner's ``hp`` (``Int``, ``Float``, ``Choice``, ``Boolean``, ``Fixed``, ``values``, ``get``),
    each call mapped onto ``trial`` (an ``optuna.Trial``; ``hp.trial`` is it, for anything else Optuna
    offers).

    >>> import optuna
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> hp = HyperParameters(study.ask())
    >>> 0.0 <= hp.Float('dropout', 0.0, 0.5, step=0.1) <= 0.5, hp.Boolean('batch_norm') in (False, True)
    (True, True)
    >>> sorted(hp.trial.params)
    ['batch_norm', 'dropout']
    """

    def __init__(self, trial: Any):
        self.trial = trial
        self.values: dict[str, Any] = {}

    def Int(self, name: str, min_value: int, max_value: int, step: int | None = None, sampling: str = "linear",
            default: int | None = None, parent_name: str | None = None, parent_values: Any = None) -> int:
        """An integer in [min_value, max_value] (``sampling='log'``: uniform in log space).
        ``default``, ``parent_name`` and ``parent_values`` are accepted for KerasTuner code and ignored:
        Optuna's define-by-run API makes conditional parameters plain ``if`` statements."""
        log = _log(sampling, name)
        value = self.trial.suggest_int(name, int(min_value), int(max_value), step=step or 1, log=log)
        return self._keep(name, value)

    def Float(self, name: str, min_value: float, max_value: float, step: float | None = None,
              sampling: str = "linear", default: float | None = None, parent_name: str | None = None,
              parent_values: Any = None) -> float:
        """A float in [min_value, max_value], on a grid of ``step`` if given; ``sampling='log'`` for scales
        such as learning rates (1e-5 ... 1e-1)."""
        log = _log(sampling, name)
        if log and step is not None:
            raise InvalidArgumentError(f"hp.Float('{name}'): sampling='log' cannot be combined with step={step} "
                                       "(Optuna samples either on a log scale or on a grid). Drop one of them.")
        value = self.trial.suggest_float(name, float(min_value), float(max_value), step=step, log=log)
        return self._keep(name, value)

    def Choice(self, name: str, values: Sequence[Any], ordered: bool | None = None, default: Any = None,
               parent_name: str | None = None, parent_values: Any = None) -> Any:
        """One of ``values`` (numbers, strings, booleans or None, as Optuna's storage requires)."""
        values = list(values)
        if not values:
            raise InvalidArgumentError(f"hp.Choice('{name}', []) has nothing to choose from. Give at least one value.")
        return self._keep(name, self.trial.suggest_categorical(name, values))

    def Boolean(self, name: str, default: bool = False, parent_name: str | None = None,
                parent_values: Any = None) -> bool:
        """True or False."""
        return self._keep(name, self.trial.suggest_categorical(name, [False, True]))

    def Fixed(self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None) -> Any:
        """A value that is not searched; recorded in the trial's user attributes so the table shows it."""
        self.trial.set_user_attr(name, value)
        return self._keep(name, value)

    def get(self, name: str) -> Any:
        """The value chosen for ``name`` in this trial."""
        if name not in self.values:
            raise InvalidArgumentError(f"hp.get('{name}'): no hyper-parameter of that name was defined in this "
                                       f"trial. Defined: {', '.join(self.values) or '(none yet)'}.")
        return self.values[name]

    def _keep(self, name: str, value: Any) -> Any:
        self.values[name] = value
        return value

    def __repr__(self) -> str:
        return f"HyperParameters({self.values})"


def _log(sampling: str, name: str) -> bool:
    if sampling not in SAMPLINGS:
        raise InvalidArgumentError(f"hp '{name}': sampling={sampling!r} is not supported; use one of "
                                   f"{', '.join(map(repr, SAMPLINGS))} (Optuna has no reverse-log scale).")
    return sampling == "log"
