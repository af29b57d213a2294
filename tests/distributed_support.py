"""The program the distributed tests run, once under torchrun (2 processes) and once alone.

    python -m torch.distributed.run --nproc-per-node 2 tests/distributed_support.py OUT MODE

MODE: ``fit`` (train, write weights + history), ``resume`` (load OUT/ckpt.glassnet, train 1 more
epoch), ``custom`` (a custom train_step), ``raise`` (rank 1 raises in epoch 2).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(101, 6)).astype("float32")  # 101: the last global batch (5) splits 2 / 3
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    return x, y


def build(custom: bool = False):
    import glassnet
    from glassnet.layers import Dense

    glassnet.utils.set_random_seed(0)
    base = glassnet.Sequential
    if custom:
        class Custom(glassnet.Sequential):
            def train_step(self, data):  # Keras' custom step: forward, loss, backward, optimizer
                x, y = data[0], data[1]
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.compiled.loss_tracker.add(loss, len(x))
                return self.compute_metrics(x, y, y_pred, None)
        base = Custom
    model = base([glassnet.Input(shape=(6,)), Dense(16, activation="tanh"), Dense(2, activation="softmax")])
    model.compile(optimizer=glassnet.optimizers.SGD(0.5, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main(out: str, mode: str) -> None:
    import torch
    import glassnet
    from glassnet.callbacks import Callback, ModelCheckpoint

    torch.set_num_threads(1)
    folder = Path(out)
    rank = int(os.environ.get("RANK", "0"))
    x, y = data()
    if mode == "resume":
        model = glassnet.models.load_model(folder / "ckpt.glassnet")
        history = model.fit(x, y, batch_size=16, epochs=4, initial_epoch=3, verbose=0)
    else:
        class Boom(Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 1 and rank == 1:
                    raise RuntimeError("rank 1 gave up in epoch 2")

        model = build(custom=mode == "custom")
        callbacks = [ModelCheckpoint(str(folder / "ckpt.glassnet"))] + ([Boom()] if mode == "raise" else [])
        history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=callbacks,
                            validation_data=(x[:37], y[:37]))
    evaluated = model.evaluate(x, y, batch_size=10, verbose=0, return_dict=True)
    weights = [w.tolist() for w in model.get_weights()]
    result = {"history": history.history, "weights": weights, "evaluate": evaluated,
              "world": int(os.environ.get("WORLD_SIZE", "1"))}
    (folder / f"{mode}-rank{rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
