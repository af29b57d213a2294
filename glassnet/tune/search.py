"""``glassnet.tune.search``: train many models, keep the best ("caviar"), with Optuna underneath.

Optuna chooses each trial's hyper-parameters (TPE sampler), stops hopeless trials early (median or
ASHA pruner, fed by :class:`~glassnet.tune.pruning.PruningCallback`), and keeps every trial in a
storage (a SQLite file in the output folder by default) that several worker processes share.

>>> import numpy as np, tempfile
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> def build(trial):
...     model = Sequential([Input(shape=(4,)), Dense(1)])
...     model.compile(optimizer='sgd', loss='mse')
...     model.optimizer.learning_rate = trial.suggest_float('lr', 1e-3, 1e-1, log=True)
...     return model
>>> x = np.random.default_rng(0).normal(size=(64, 4)).astype('float32'); y = x @ np.arange(4.0, dtype='float32')
>>> result = search(build, x, y, validation_data=(x, y), n_trials=2, epochs=1, seed=0, verbose=0,
...                 output=tempfile.mkdtemp(), plots=False)
>>> len(result.trials), sorted(result.best_params)
(2, ['lr'])
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import optuna
import torch

from glassnet.callbacks._monitor import resolve_mode
from glassnet.errors import GlassnetError, InvalidArgumentError
from glassnet.naming import lookup
from glassnet.tune.objective import Objective
from glassnet.tune.results import SearchResult, finish_search
from glassnet.tune.storage import HEARTBEAT_INTERVAL, open_storage, sqlite_url


class WorkerError(GlassnetError, RuntimeError):
    """A worker process of a parallel search stopped with an error."""


def make_pruner(pruner: str | optuna.pruners.BasePruner | None, epochs: int) -> optuna.pruners.BasePruner:
    """'median' (stop a trial worse than the median of the others at the same epoch, after 2 warm-up
    epochs and 5 finished trials), 'asha' (asynchronous successive halving), 'hyperband', None
    (never prune), or any Optuna pruner.

    >>> type(make_pruner('asha', 10)).__name__, type(make_pruner(None, 10)).__name__
    ('SuccessiveHalvingPruner', 'NopPruner')
    """
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    if pruner is None:
        return optuna.pruners.NopPruner()
    table = {
        "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=min(2, epochs - 1)),
        "asha": lambda: optuna.pruners.SuccessiveHalvingPruner(),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs),
        "none": optuna.pruners.NopPruner,
    }
    return lookup("pruner", pruner, table)()


def search(build: Callable, x: Any, y: Any = None, *, validation_data: Any = None, validation_split: float = 0.0,
           n_trials: int = 20, epochs: int = 10, batch_size: int = 32, objective: str = "val_loss",
           direction: str | None = None, pruner: str | optuna.pruners.BasePruner | None = "median",
           sampler: optuna.samplers.BaseSampler | None = None, seed: int | None = None, storage: str | None = None,
           study_name: str = "glassnet", workers: int = 1, output: str | Path | None = None, api: str = "auto",
           heartbeat_interval: int = HEARTBEAT_INTERVAL, plots: bool = True, verbose: int = 1,
           fit_kwargs: dict | None = None) -> SearchResult:
    """Search ``build``'s hyper-parameters; return a :class:`~glassnet.tune.results.SearchResult`.

    ``build(trial)`` uses Optuna's trial API (``trial.suggest_float('lr', 1e-4, 1e-1, log=True)``), or
    ``build(hp)`` KerasTuner's (``hp.Float('lr', 1e-4, 1e-1, sampling='log')``); either way it returns a
    compiled model. Each trial trains it ``epochs`` epochs on ``x, y`` and is scored by the last value of
    ``objective`` ('val_loss', 'val_accuracy', any ``val_`` metric) on ``validation_data`` (or the last
    ``validation_split`` of ``x``). ``direction`` ('minimize'/'maximize') is guessed from the name.

    The study lives in ``storage`` (any Optuna/SQLAlchemy URL; default ``sqlite:///<output>/study.db``)
    under ``study_name``, and ``n_trials`` is the number of trials the *study* should hold: run the
    same call again, or in another process with the same storage, and it continues the study instead
    of starting over. ``workers=N`` runs N processes on it (``build`` must then be importable: defined
    at the top level of a ``.py`` file). ``output`` (default ``runs/tune-<time>/``) receives the study,
    ``trials.csv``, the best model ``best_model.glassnet``, ``best_params.json`` and the plots.
    """
    if validation_data is None and not validation_split:
        raise InvalidArgumentError("search needs a dev set to score trials on: pass validation_data=(x_dev, y_dev)"
                                   " or validation_split=0.2. Scoring on the training data would reward overfitting.")
    if n_trials < 1 or workers < 1 or epochs < 1:
        raise InvalidArgumentError(f"search: n_trials={n_trials}, workers={workers} and epochs={epochs} must all "
                                   "be at least 1.")
    direction = direction or ("maximize" if resolve_mode(objective, "auto", "search") == "max" else "minimize")
    output = Path(output) if output is not None else Path("runs") / time.strftime("tune-%Y%m%d-%H%M%S")
    output.mkdir(parents=True, exist_ok=True)
    storage = storage or sqlite_url(output / "study.db")
    task = Objective(build, x, y, validation_data=validation_data, validation_split=validation_split, epochs=epochs,
                     batch_size=batch_size, objective=objective, direction=direction, api=api, output=output,
                     seed=seed, fit_kwargs=fit_kwargs)
    worker = Worker(task, storage, study_name, n_trials, make_pruner(pruner, epochs), sampler, seed,
                    heartbeat_interval, verbose)
    with optuna_logging_quiet():
        study = optuna.create_study(storage=worker.open_storage(), study_name=study_name, direction=direction,
                                    load_if_exists=True)
    if study.direction.name.lower() != direction:
        raise InvalidArgumentError(f"The study '{study_name}' in {storage} was created to {study.direction.name.lower()}"
                                   f" its objective, not to {direction}. Use another study_name= (or output=) for "
                                   f"objective={objective!r}.")
    run_workers(worker, workers)
    return finish_search(worker.load_study(), output, objective, plots=plots)


class Worker:
    """One process's part of a search: take trials until the study holds ``n_trials`` (a worker whose
    trial count is reached stops; others may still be finishing theirs)."""

    def __init__(self, objective: Objective, storage: str, study_name: str, n_trials: int,
                 pruner: optuna.pruners.BasePruner, sampler: optuna.samplers.BaseSampler | None, seed: int | None,
                 heartbeat_interval: int, verbose: int, index: int = 0):
        self.objective, self.storage, self.study_name, self.n_trials = objective, storage, study_name, n_trials
        self.pruner, self.sampler, self.seed = pruner, sampler, seed
        self.heartbeat_interval, self.verbose, self.index = heartbeat_interval, verbose, index

    def open_storage(self) -> optuna.storages.RDBStorage:
        return open_storage(self.storage, heartbeat_interval=self.heartbeat_interval)

    def load_study(self) -> optuna.Study:
        """The shared study, with this worker's sampler (seeded per worker, so workers explore different
        points) and the pruner."""
        sampler = self.sampler or optuna.samplers.TPESampler(
            seed=None if self.seed is None else self.seed + 1000 * self.index)
        return optuna.load_study(study_name=self.study_name, storage=self.open_storage(), sampler=sampler,
                                 pruner=self.pruner)

    def run(self) -> None:
        study = self.load_study()
        with optuna_logging_quiet():
            while True:
                optuna.storages.fail_stale_trials(study)  # a dead worker's trial: FAIL, and queued again
                if trials_taken(study) >= self.n_trials:
                    return
                study.optimize(self.objective, n_trials=1, callbacks=[self.report] if self.verbose else None)

    def report(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        """One line per finished trial."""
        who = f"worker {self.index} · " if self.index else ""
        params = ", ".join(f"{k}={_short(v)}" for k, v in trial.params.items())
        if trial.state == optuna.trial.TrialState.COMPLETE:
            outcome = f"{self.objective.objective} {trial.value:.4f}"
        else:
            why = "diverged" if "diverged" in trial.user_attrs else f"after epoch {len(trial.intermediate_values)}"
            outcome = f"{trial.state.name.lower()} {why}"
        print(f"{who}trial {trial.number:>3}: {outcome:<28} {params}", flush=True)


def trials_taken(study: optuna.Study) -> int:
    """Trials that count towards ``n_trials``: every one but those FAILed because their worker died
    (those are queued again as WAITING copies, which count)."""
    return sum(t.state != optuna.trial.TrialState.FAIL for t in study.get_trials(deepcopy=False))


def run_workers(worker: Worker, workers: int) -> None:
    """Run ``worker`` here and in ``workers - 1`` new processes (spawned: a fresh interpreter, safe with
    torch's threads), each with ``cores // workers`` torch threads; worker ``i`` uses GPU ``i % GPUs``."""
    if workers == 1:
        worker.run()
        return
    try:
        pickle.dumps(worker)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        raise InvalidArgumentError(
            f"workers={workers} runs trials in new processes, which must import build and receive the data, but "
            f"they cannot ({err}). Define build at the top level of a .py file (not inside a function or a notebook "
            "cell), or start the same script in several terminals with the same storage= and study_name=.") from err
    threads = max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker_main, args=(worker, index, threads), daemon=True)
                 for index in range(1, workers)]
    for process in processes:
        process.start()
    try:
        with torch_threads(threads):
            worker.run()
    except BaseException:  # an error or Ctrl-C here stops the other workers too
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join()
    failed = [f"worker {i} (exit code {p.exitcode})" for i, p in enumerate(processes, 1) if p.exitcode != 0]
    if failed:
        raise WorkerError(f"{', '.join(failed)} stopped with an error (printed above). The study keeps every "
                          "finished trial: fix the error and run the search again to complete it.")


def _worker_main(worker: Worker, index: int, threads: int) -> None:
    """A spawned worker: its share of the CPU threads and, with several GPUs, its own GPU (round robin)."""
    torch.set_num_threads(threads)
    if torch.cuda.is_available() and torch.cuda.device_count() > 1:
        torch.cuda.set_device(index % torch.cuda.device_count())
    worker.index = index
    worker.run()


@contextmanager
def torch_threads(count: int):
    """Use ``count`` torch threads for a while."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def optuna_logging_quiet():
    """Optuna's per-trial INFO lines off (search prints its own), and its "Trial N failed" traceback too
    (the error itself reaches the caller); other warnings stay, but for 'experimental'."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    handlers = logging.getLogger("optuna").handlers
    for handler in handlers:
        handler.addFilter(_drop_failed_trial_reports)
    try:
        with warnings.catch_warnings():  # heartbeats are 'experimental' in Optuna: nothing a learner can act on
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        for handler in handlers:
            handler.removeFilter(_drop_failed_trial_reports)
        optuna.logging.set_verbosity(before)


def _drop_failed_trial_reports(record: logging.LogRecord) -> bool:
    """False for Optuna's "Trial N failed with parameters ... because of ..." (with a traceback) and its
    "Trial N failed with value None." that follows: the exception is raised to the caller anyway."""
    message = record.getMessage()
    return not (record.exc_info or (message.startswith("Trial ") and "failed with value None" in message))


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
