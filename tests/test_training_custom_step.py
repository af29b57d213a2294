"""Progressive disclosure: override train_step / compute_loss for custom training."""

import numpy as np
import torch

from glassnet.layers import Dense, Input
from glassnet.models import Sequential


class L2Sequential(Sequential):
    """Adds an L2 penalty on the weights in compute_loss, and counts its own steps in train_step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_steps = 0

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        penalty = sum((p ** 2).sum() for name, p in self.named_parameters() if name.endswith("weight"))
        return super().compute_loss(x, y, y_pred, sample_weight) + 0.1 * penalty

    def train_step(self, data):
        self.custom_steps += 1
        logs = super().train_step(data)
        logs["weight_norm"] = torch.sqrt(sum((p.detach() ** 2).sum() for p in self.parameters()))
        return logs


def test_overridden_steps_are_used_and_their_logs_reported():
    model = L2Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(32, 3).astype("float32"), np.random.rand(32, 1).astype("float32")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert model.custom_steps == 12
    assert "weight_norm" in history.history and len(history.history["weight_norm"]) == 3
    plain = Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
    plain.set_weights(model.get_weights())
    plain.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(x, y, verbose=0) > plain.evaluate(x, y, verbose=0)  # the penalty is in the loss
