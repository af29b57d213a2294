"""``glassnet tune``: ``glassnet train``'s model and data, many trials, the best one kept.

It searches the train command's options — learning rate (1e-4 ... 1e-1, log scale), batch size
(16/32/64/128), width (the MLP's hidden units or the convnet's first filters), dropout (0 ... 0.5)
and optimizer (sgd, rmsprop, adam, adamw) — with :func:`glassnet.tune.search`, scoring each trial on
the last ``--validation-split`` of the training set, and writes ``runs/<timestamp>/``: ``study.db``,
``trials.csv``, ``best_params.json``, ``best_model.glassnet``, ``metrics.json`` (the best model's test
accuracy) and Optuna's plots.

>>> import optuna
>>> space = TrainSpace('mlp', (8, 8, 1), 10)
>>> model = space(optuna.trial.FixedTrial({'learning_rate': 0.01, 'batch_size': 32, 'width': 64,
...                                         'dropout': 0.1, 'optimizer': 'adam'}))
>>> model.count_params(), model.optimizer.learning_rate
(4810, 0.01)
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from glassnet.cli.train import DatasetName, ModelName, build_model, load_dataset, start_run_dir
from glassnet.io import atomic_write_bytes

console = Console()

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw")
BATCH_SIZES = (16, 32, 64, 128)


class PrunerName(str, Enum):
    median = "median"
    asha = "asha"
    none = "none"


class TrainSpace:
    """The search space of ``glassnet tune``: ``build(trial)`` over train's model (a plain class, so
    ``--workers`` can send it to other processes)."""

    def __init__(self, kind: str, input_shape: tuple, classes: int):
        self.kind, self.input_shape, self.classes = kind, tuple(input_shape), classes

    def __call__(self, trial):
        from glassnet import optimizers
        learning_rate = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        trial.suggest_categorical("batch_size", list(BATCH_SIZES))  # read by the search's fit
        low, high = (16, 256) if self.kind == "mlp" else (8, 64)
        width = trial.suggest_int("width", low, high, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        optimizer = optimizers.get(trial.suggest_categorical("optimizer", list(OPTIMIZERS)))
        optimizer.learning_rate = learning_rate
        model = build_model(self.kind, self.input_shape, self.classes, width=width, dropout=dropout)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model


def tune(
    dataset: DatasetName = typer.Option(DatasetName.digits, help="Dataset to learn (digits needs no download)."),
    model: ModelName = typer.Option(ModelName.mlp, help="mlp or cnn: the models of glassnet train."),
    trials: int = typer.Option(20, min=1, help="Trials the study should hold (a rerun with --storage continues it)."),
    epochs: int = typer.Option(10, min=1, help="Epochs per trial (pruned trials stop earlier)."),
    objective: str = typer.Option("val_accuracy", help="What to optimise on the dev set: val_accuracy or val_loss."),
    pruner: PrunerName = typer.Option(PrunerName.median, help="median, asha, or none: how hopeless trials stop."),
    validation_split: float = typer.Option(0.2, min=0.05, max=0.9, help="Last fraction of training data used as the dev set."),
    storage: str = typer.Option(None, help="Optuna storage URL (default: sqlite:///<run folder>/study.db); "
                                "e.g. postgresql://user@host/db to share a study between machines."),
    study_name: str = typer.Option("glassnet", help="Name of the study in the storage."),
    workers: int = typer.Option(1, min=1, help="Processes running trials at the same time on one study."),
    seed: int = typer.Option(0, help="Random seed of the sampler and of each trial's weights."),
    output: Path = typer.Option(Path("runs"), help="Folder in which runs/<timestamp>/ is created."),
    verbose: int = typer.Option(1, min=0, max=1, help="0 silent, 1 one line per trial."),
) -> None:
    from glassnet.tune import search
    from glassnet.utils import set_random_seed

    run_dir = start_run_dir(output)
    set_random_seed(seed)
    (x_train, y_train), (x_test, y_test), names = load_dataset(dataset.value)
    cut = int(len(x_train) * (1 - validation_split))
    console.print(f"[bold]glassnet tune[/] · {dataset.value}: {cut:,} train / {len(x_train) - cut:,} dev / "
                  f"{len(x_test):,} test images · model {model.value} · {trials} trials of {epochs} epochs · "
                  f"{workers} worker{'s' if workers > 1 else ''} · {objective} · pruner {pruner.value}")
    result = search(TrainSpace(model.value, x_train.shape[1:], len(names)), x_train[:cut], y_train[:cut],
                    validation_data=(x_train[cut:], y_train[cut:]), n_trials=trials, epochs=epochs,
                    objective=objective, pruner=pruner.value, storage=storage, study_name=study_name,
                    workers=workers, seed=seed, output=run_dir, verbose=verbose)
    console.print(result)
    metrics = {"dataset": dataset.value, "model": model.value, "objective": objective,
               "best_value": result.best_value, "best_params": result.best_params, "trials": result.counts()}
    if result.best_model_path is not None:
        test_loss, test_accuracy = result.best_model().evaluate(x_test, y_test, batch_size=256, verbose=0)
        metrics.update(test_loss=test_loss, test_accuracy=test_accuracy)
        console.print(f"[bold green]Best model's test accuracy: {test_accuracy:.4f}[/] (loss {test_loss:.4f})")
    atomic_write_bytes(run_dir / "metrics.json", json.dumps(metrics, indent=2).encode())
    console.print(f"Saved study.db, trials.csv, best_params.json, best_model.glassnet, metrics.json and plots in "
                  f"{run_dir}/")
