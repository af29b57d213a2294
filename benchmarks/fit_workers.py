"""One benchmark configuration, run in its own process by ``fit_speed.py``.

    python benchmarks/fit_workers.py CONFIG MODEL DATA.npz TIMED_EPOCHS

trains MODEL ('cnn' or 'mlp') on the arrays in DATA.npz for one warm-up epoch
plus TIMED_EPOCHS timed epochs (batch 128, Adam 1e-3, sparse categorical
crossentropy, 2 threads, seed 0), evaluates on the test set and prints one
line ``RESULT {json}``. Only the standard library, numpy and torch are
imported at the top, so the peer configurations (Lightning, Keras) run in a
separate virtual environment that does not have glassnet's dependencies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

THREADS, BATCH, LR, SEED = 2, 128, 1e-3, 0
ROOT = Path(__file__).resolve().parents[1]


def tune_malloc() -> bool:
    """glassnet's allocator tuning, loaded by path: the same settings for every configuration,
    without importing glassnet (absent from the peers' environment)."""
    spec = importlib.util.spec_from_file_location("glassnet_allocator", ROOT / "glassnet" / "allocator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tune_malloc()


def load_arrays(path: str, model: str, channels_first: bool = False) -> tuple:
    """(x_train, y_train, x_test, y_test): float32 in [0, 1], int64 labels."""
    data = np.load(path)
    arrays = [data["x_train"], data["y_train"], data["x_test"], data["y_test"]]
    for i in (0, 2):
        x = arrays[i]
        arrays[i] = x.reshape(len(x), 784) if model == "mlp" else (
            x.reshape(len(x), 1, 28, 28) if channels_first else x.reshape(len(x), 28, 28, 1))
    return tuple(arrays)


# ---------------------------------------------------------------------------- glassnet
def epoch_timer(callback_base: type):
    """A callback of ``callback_base`` (glassnet's or Keras' ``Callback``: the same epoch hooks) recording each
    epoch's wall time in ``.times``."""

    class EpochTimer(callback_base):
        def __init__(self):
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    return EpochTimer()


def glassnet_epoch_timer():
    """:func:`epoch_timer` for glassnet (imported lazily: the peer configurations never import it)."""
    from glassnet.callbacks import Callback
    return epoch_timer(Callback)


def run_glassnet(model_name: str, data: str, epochs: int, precision: str = "auto", compile: bool = False,
                 diagnose: bool = False):
    import glassnet  # first, as users do: its thread defaults (glassnet/threads.py) apply before torch starts
    import torch
    torch.set_num_threads(THREADS)
    from glassnet.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from glassnet.optimizers import Adam

    torch.manual_seed(SEED)
    x, y, x_test, y_test = load_arrays(data, model_name)
    if model_name == "cnn":
        layers = [glassnet.Input(shape=(28, 28, 1)), Conv2D(32, 3, activation="relu"), MaxPooling2D(2),
                  Conv2D(64, 3, activation="relu"), MaxPooling2D(2), Flatten(), Dropout(0.5),
                  Dense(10, activation="softmax")]
    else:
        layers = [glassnet.Input(shape=(784,)), Dense(512, activation="relu"), Dense(512, activation="relu"),
                  Dense(10, activation="softmax")]
    model = glassnet.Sequential(layers)
    model.compile(optimizer=Adam(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], precision=precision, compile=compile)

    timer = glassnet_epoch_timer()
    model.fit(x, y, batch_size=BATCH, epochs=1 + epochs, verbose=0, callbacks=[timer], diagnose=diagnose)
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)["accuracy"]
    return timer.times, accuracy, {"precision": model.compiled.precision}


# ---------------------------------------------------------------------------- plain PyTorch
def torch_model(model_name: str, flatten_hwc: bool = False):
    """The same networks in plain torch.nn (``flatten_hwc``: Keras' flatten order, free on
    channels-last memory, as glassnet does)."""
    from torch import nn

    class FlattenHWC(nn.Module):
        def forward(self, x):
            return x.movedim(1, -1).flatten(1)

    if model_name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2d(2), FlattenHWC() if flatten_hwc else nn.Flatten(), nn.Dropout(0.5),
                         nn.Linear(1600, 10))


def _torch_setup(model_name: str, data: str, flatten_hwc: bool = False):
    import torch
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    arrays = load_arrays(data, model_name, channels_first=True)
    x, y, x_test, y_test = (torch.from_numpy(a) for a in arrays)
    model = torch_model(model_name, flatten_hwc)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, eps=1e-7, fused=True)
    return model, optimizer, x, y, x_test, y_test


def _torch_accuracy(model, x_test, y_test, prepare=lambda x: x) -> float:
    import torch
    model.eval()
    correct = torch.zeros((), dtype=torch.long)
    with torch.inference_mode():
        for start in range(0, len(x_test), 1000):
            logits = model(prepare(x_test[start:start + 1000]))
            correct += (logits.argmax(-1) == y_test[start:start + 1000]).sum()
    return correct.item() / len(x_test)


def run_torch(model_name: str, data: str, epochs: int, bf16: bool = False):
    """The hand-written loop with glassnet's settings: randperm index batches of in-memory tensors,
    loss and accuracy summed on the device (read once per epoch), set_to_none, fused Adam,
    channels-last memory for the CNN, and with ``bf16`` bf16 autocast (glassnet's default here)."""
    import torch
    import torch.nn.functional as F

    model, optimizer, x, y, x_test, y_test = _torch_setup(model_name, data, flatten_hwc=True)
    layout = torch.channels_last if model_name == "cnn" else torch.contiguous_format
    model = model.to(memory_format=layout)
    prepare = lambda batch: batch.contiguous(memory_format=layout)  # noqa: E731
    times = []
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(1 + epochs):
        start = time.perf_counter()
        model.train()
        loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), BATCH):
            index = order[i:i + BATCH]
            xb, yb = prepare(x.index_select(0, index)), y.index_select(0, index)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(xb)
            loss = F.cross_entropy(logits.float(), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(yb)
            correct += (logits.detach().argmax(-1) == yb).sum()
        loss_sum.item()
        times.append(time.perf_counter() - start)
    return times, _torch_accuracy(model, x_test, y_test, prepare), {}


def run_dataloader(model_name: str, data: str, epochs: int):
    """The textbook loop: TensorDataset + DataLoader(shuffle=True), float32, NCHW memory, loss read
    every step."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    model, optimizer, x, y, x_test, y_test = _torch_setup(model_name, data)
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(SEED))
    times = []
    for _ in range(1 + epochs):
        start = time.perf_counter()
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()
        times.append(time.perf_counter() - start)
    return times, _torch_accuracy(model, x_test, y_test), {}


# ---------------------------------------------------------------------------- peers
def run_lightning(model_name: str, data: str, epochs: int):
    """PyTorch Lightning, fed the same in-memory randperm batches (no DataLoader collation)."""
    import lightning as L
    import torch
    import torch.nn.functional as F

    network, _, x, y, x_test, y_test = _torch_setup(model_name, data)

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.network = network

        def training_step(self, batch, batch_idx):
            xb, yb = batch
            return F.cross_entropy(self.network(xb), yb)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR, eps=1e-7, fused=True)

    class Batches:
        def __init__(self):
            self.generator = torch.Generator().manual_seed(SEED)

        def __len__(self):
            return -(-len(x) // BATCH)

        def __iter__(self):
            order = torch.randperm(len(x), generator=self.generator)
            for i in range(0, len(x), BATCH):
                index = order[i:i + BATCH]
                yield x.index_select(0, index), y.index_select(0, index)

    class Timer(L.Callback):
        def __init__(self):
            self.times: list[float] = []

        def on_train_epoch_start(self, trainer, module):
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer, module):
            self.times.append(time.perf_counter() - self.start)

    timer = Timer()
    trainer = L.Trainer(max_epochs=1 + epochs, accelerator="cpu", devices=1, logger=False, callbacks=[timer],
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Module(), train_dataloaders=Batches())
    return timer.times, _torch_accuracy(network, x_test, y_test), {"lightning": L.__version__}


def run_keras(model_name: str, data: str, epochs: int):
    """Keras 3 on the backend named by KERAS_BACKEND (tensorflow or torch), its defaults."""
    backend = os.environ["KERAS_BACKEND"]
    if backend == "tensorflow":
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    else:
        import torch
        torch.set_num_threads(THREADS)
    import keras
    from keras import layers

    keras.utils.set_random_seed(SEED)
    x, y, x_test, y_test = load_arrays(data, model_name)
    if model_name == "cnn":
        stack = [keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                 layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                 layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    else:
        stack = [keras.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(512, activation="relu"),
                 layers.Dense(10, activation="softmax")]
    model = keras.Sequential(stack)
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    timer = epoch_timer(keras.callbacks.Callback)
    model.fit(x, y, batch_size=BATCH, epochs=1 + epochs, verbose=0, callbacks=[timer])
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)["accuracy"]
    return timer.times, float(accuracy), {"keras": keras.__version__, "backend": backend}


CONFIGS = {
    "glassnet": lambda m, d, e: run_glassnet(m, d, e),
    "glassnet-fp32": lambda m, d, e: run_glassnet(m, d, e, precision="float32"),
    "glassnet-compile": lambda m, d, e: run_glassnet(m, d, e, compile=True),
    "glassnet-monitor": lambda m, d, e: run_glassnet(m, d, e, diagnose=True),
    "torch-fp32": lambda m, d, e: run_torch(m, d, e),
    "torch-bf16": lambda m, d, e: run_torch(m, d, e, bf16=True),
    "dataloader": run_dataloader,
    "lightning": run_lightning,
    "keras-tf": run_keras,
    "keras-torch": run_keras,
}


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives exec, so it
    would report at least the (larger) parent's peak at the moment it spawned this process."""
    try:
        with open("/proc/self/status") as f:
            line = next(line for line in f if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(config: str, model: str, data: str, epochs: int) -> None:
    tuned = tune_malloc()
    times, accuracy, extra = CONFIGS[config](model, data, epochs)
    peak_mb = peak_rss_mb()
    print("RESULT " + json.dumps({"config": config, "model": model, "times": times, "accuracy": accuracy,
                                  "peak_mb": peak_mb, "malloc_tuned": tuned, **extra}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
