"""``glassnet train``: the Hello-World of the course, from data to a saved run.

With no arguments it trains a small MLP on scikit-learn's bundled 8×8 digits
(no download), shows a live progress bar, prints the test accuracy and writes
``runs/<timestamp>/`` with the model, ``history.csv``, ``metrics.json`` and a
learning-curve PNG. The run folder is created before training (a bad ``--output`` fails
at once), and Ctrl-C saves what exists: the model as it is, the history so far.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from glassnet import optimizers
from glassnet.errors import DataFileError
from glassnet.io import atomic_path, atomic_write_bytes

console = Console()


class DatasetName(str, Enum):
    digits = "digits"
    mnist = "mnist"
    fashion_mnist = "fashion_mnist"
    cifar10 = "cifar10"


class ModelName(str, Enum):
    mlp = "mlp"
    cnn = "cnn"


def load_dataset(name: str):
    """(x_train, y_train), (x_test, y_test), class names — images as float32 in [0, 1], (N, H, W, C)."""
    from glassnet import datasets
    module = getattr(datasets, name)
    (x_train, y_train), (x_test, y_test) = module.load_data()

    def prepare(x):
        x = x.astype("float32") / 255.0
        return x[..., None] if x.ndim == 3 else x

    names = getattr(module, "class_names", [str(i) for i in range(int(y_train.max()) + 1)])
    return (prepare(x_train), y_train.astype("int64")), (prepare(x_test), y_test.astype("int64")), names


def build_model(kind: str, input_shape: tuple, classes: int, width: int | None = None, dropout: float | None = None):
    """The course's first models: an MLP (Flatten-Dense128-Dropout-Dense) or the Keras MNIST convnet.
    ``width`` (the MLP's hidden units, default 128; the convnet's first filters, default 32, then twice
    that) and ``dropout`` (default 0.2 / 0.5) are what ``glassnet tune`` searches."""
    from glassnet.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
    from glassnet.models import Sequential

    if kind == "mlp":
        layers = [Flatten(), Dense(width or 128, activation="relu"), Dropout(0.2 if dropout is None else dropout),
                  Dense(classes, activation="softmax")]
    else:
        layers = [Conv2D(width or 32, 3, padding="same", activation="relu"), MaxPooling2D(2),
                  Conv2D(2 * (width or 32), 3, padding="same", activation="relu"), MaxPooling2D(2),
                  Flatten(), Dropout(0.5 if dropout is None else dropout), Dense(classes, activation="softmax")]
    return Sequential([Input(shape=input_shape), *layers], name=f"{kind}")


def write_history_csv(history: dict, path: Path) -> None:
    """One row per epoch: epoch, then each logged value."""
    keys = list(history)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch", *keys])
        for epoch in range(len(history[keys[0]])):
            writer.writerow([epoch + 1, *(f"{history[k][epoch]:.6f}" for k in keys)])


def _positive_learning_rate(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"the learning rate must be a finite number > 0, got {value}; try 1e-3.")
    return value


def start_run_dir(output: Path) -> Path:
    """Create ``output/<timestamp>/`` now, before training, so a bad ``--output`` fails at once.

    >>> import tempfile
    >>> start_run_dir(Path(tempfile.mkdtemp())).is_dir()
    True
    """
    if output.exists() and not output.is_dir():
        raise DataFileError(f"--output {output} is a file, not a folder. Give a folder (it is created if missing), "
                            "e.g. --output runs.")
    run_dir = output / time.strftime("%Y%m%d-%H%M%S")
    while run_dir.exists():
        run_dir = run_dir.with_name(run_dir.name + "-1")
    try:
        run_dir.mkdir(parents=True)
        probe = run_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise DataFileError(f"Cannot write the run into --output {output} ({err.strerror or err}). Give a folder you "
                            "can write to, e.g. --output runs.") from err
    return run_dir


def save_run(net, history, run_dir: Path, title: str, results: dict) -> None:
    """model.glassnet, history.csv, learning_curves.png and metrics.json in ``run_dir``."""
    from glassnet.plots import plot_history

    net.save(run_dir / "model.glassnet")
    if history is not None and history.history:
        write_history_csv(history.history, run_dir / "history.csv")
        plot_history(history, run_dir / "learning_curves.png", title=title)
    atomic_write_bytes(run_dir / "metrics.json", json.dumps(results, indent=2).encode())


def launch_torchrun(nproc: int) -> int:
    """Run this same ``glassnet train`` command in ``nproc`` processes under torchrun; its exit status."""
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip or arg.startswith("--nproc="):
            skip = False
            continue
        skip = arg == "--nproc"
        if not skip:
            args.append(arg)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "glassnet.cli", *args]
    console.print(f"Launching {nproc} processes: {' '.join(command[1:])}", highlight=False)
    return subprocess.run(command, env=env).returncode


def train(
    dataset: DatasetName = typer.Option(DatasetName.digits, help="Dataset to learn (digits needs no download)."),
    model: ModelName = typer.Option(ModelName.mlp, help="mlp: Flatten-Dense(128)-Dropout-Dense; cnn: the Keras MNIST convnet."),
    epochs: int = typer.Option(50, min=1, help="Passes over the training data."),
    batch_size: int = typer.Option(32, min=1, help="Samples per gradient step."),
    optimizer: str = typer.Option("adam", help="sgd, rmsprop, adam, adamw, adagrad, adadelta or nadam."),
    learning_rate: float = typer.Option(1e-3, callback=_positive_learning_rate, help="Step size of the optimizer."),
    validation_split: float = typer.Option(0.2, min=0.0, max=0.9, help="Fraction of training data held out as the dev set."),
    seed: int = typer.Option(0, help="Random seed, for a reproducible run."),
    output: Path = typer.Option(Path("runs"), help="Folder in which runs/<timestamp>/ is created."),
    verbose: int = typer.Option(1, min=0, max=2, help="0 silent, 1 progress bar, 2 one line per epoch."),
    nproc: int = typer.Option(1, min=1, help="Processes for data-parallel training (torchrun; gloo on CPU, nccl on "
                              "GPUs); --batch-size stays the global batch."),
    diagnose: bool = typer.Option(False, "--diagnose", help="Watch the network's health while it trains and "
                                  "write diagnosis.md (verdict, findings, gradient flow, LR finder) in the run."),
) -> None:
    from glassnet.training import distributed
    from glassnet.utils import set_random_seed

    if nproc > 1 and not distributed.launched_by_torchrun():
        raise typer.Exit(launch_torchrun(nproc))
    if int(os.environ.get("RANK", "0")) != 0:  # another process of a --nproc run: rank 0 prints and writes
        console.quiet = True
        run_dir = Path(tempfile.mkdtemp(prefix="glassnet-rank"))
    else:
        run_dir = start_run_dir(output)  # before anything slow: a bad --output fails now, not after training
    try:
        set_random_seed(seed)
        (x_train, y_train), (x_test, y_test), names = load_dataset(dataset.value)
    except BaseException:
        _remove_empty(run_dir)
        raise
    net = build_model(model.value, x_train.shape[1:], len(names))
    opt = optimizers.get(optimizer)
    opt.learning_rate = learning_rate
    net.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    console.print(f"[bold]glassnet train[/] · {dataset.value}: {len(x_train):,} train / {len(x_test):,} test "
                  f"images of {x_train.shape[1:]} · {len(names)} classes · model {model.value} "
                  f"({net.count_params():,} parameters)")
    title = f"{model.value} on {dataset.value}"
    results = {"dataset": dataset.value, "model": model.value, "epochs": epochs, "parameters": net.count_params(),
               "processes": int(os.environ.get("WORLD_SIZE", "1"))}
    lr_result = net.lr_find(x_train, y_train, batch_size=batch_size) if diagnose else None
    try:
        history = net.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                          validation_split=validation_split or 0.0, verbose=verbose, diagnose=diagnose)
    except KeyboardInterrupt:
        history = getattr(net, "history", None)
        done = len(history.epoch) if history is not None else 0
        save_run(net, history, run_dir, title, {**results, "interrupted": True, "epochs_completed": done})
        console.print(f"\n[bold yellow]Interrupted after {done} of {epochs} epochs.[/] Saved the model as it is, "
                      f"history.csv and metrics.json in {run_dir}/")
        raise typer.Exit(130) from None
    test_loss, test_accuracy = net.evaluate(x_test, y_test, batch_size=256, verbose=0)
    verdict = _bias_variance(net, x_train, y_train, validation_split)
    results.update(test_loss=test_loss, test_accuracy=test_accuracy, **_verdict_json(verdict))
    save_run(net, history, run_dir, title, results)
    console.print(f"[bold green]Test accuracy: {test_accuracy:.4f}[/] (loss {test_loss:.4f})")
    console.print(f"Saved model, history.csv, metrics.json and learning_curves.png in {run_dir}/", soft_wrap=True)
    if diagnose:
        from glassnet.diagnose.diagnosis import write_diagnosis
        path = write_diagnosis(run_dir, verdict=verdict, monitor=history.monitor, lr_result=lr_result, title=title)
        console.print(f"Diagnosis (verdict, findings, gradient flow, LR finder): {path}", soft_wrap=True)
    from glassnet.cli.report import run_report
    console.print(f"Report: {run_report(run_dir, net, x_test, y_test, names)}", soft_wrap=True)  # a path: never wrapped


def _bias_variance(net, x_train, y_train, validation_split: float):
    """Print and return the bias/variance verdict on the train and dev parts (fit's validation_split:
    the last fraction); None without a dev set."""
    cut = int(len(x_train) * (1 - validation_split))
    if not validation_split or cut in (0, len(x_train)):
        return None
    result = net.diagnose(x_train[:cut], y_train[:cut], validation_data=(x_train[cut:], y_train[cut:]), verbose=False)
    console.print(result)
    return result


def _verdict_json(result) -> dict:
    """The verdict's entry in metrics.json (none without a dev set)."""
    if result is None:
        return {}
    return {"bias_variance": {"train_error": result.train_error, "dev_error": result.dev_error,
                              "verdict": result.verdict, "recipe": list(result.recipe)}}


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
