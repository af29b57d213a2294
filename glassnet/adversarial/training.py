"""Adversarial training: fit on clean and attacked batches (Goodfellow et al. 2015; Madry et al. 2018).

:class:`AdversarialTraining` wraps a classifier; its ``train_step`` attacks each batch
against the current weights (FGSM or PGD, in evaluation mode, without touching the
weights' gradients) and minimises ``(1 - w) * loss(clean) + w * loss(attacked)``,
``w = adversarial_weight``. Compile and fit the wrapper as any model (the metrics are
those of the clean batch; ``adversarial_loss`` is logged beside them); the wrapped model
is trained in place and is what you evaluate and save.

>>> import numpy as np
>>> from glassnet.layers import Dense, Input
>>> from glassnet.models import Sequential
>>> net = Sequential([Input(shape=(2,)), Dense(2, activation='softmax')])
>>> robust = AdversarialTraining(net, epsilon=0.1)
>>> robust.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
>>> x, y = np.random.rand(16, 2).astype('float32'), np.arange(16) % 2
>>> sorted(robust.fit(x, y, epochs=1, verbose=0).history)
['accuracy', 'adversarial_loss', 'loss']
"""

from __future__ import annotations

from typing import Any

import torch

from glassnet import constraints
from glassnet.adversarial.attacks import ATTACKS
from glassnet.errors import InvalidArgumentError
from glassnet.models import Model
from glassnet.naming import lookup
from glassnet.training.loop import batch_size_of
from glassnet.training.steps import unpack


class AdversarialTraining(Model):
    """Train ``model`` on a mix of clean and ``attack``-ed batches (see the module docstring);
    ``attack_options`` (``alpha``, ``steps``, ``value_range``...) go to the attack.

    >>> from glassnet.layers import Dense, Input
    >>> from glassnet.models import Sequential
    >>> AdversarialTraining(Sequential([Input(shape=(2,)), Dense(2)]), epsilon=0.3, attack='pgd').attack
    'pgd'
    """

    def __init__(self, model: Model, epsilon: float, attack: str = "fgsm", adversarial_weight: float = 0.5,
                 **attack_options: Any):
        super().__init__(name=f"adversarial_{model.name}")
        if not 0 <= adversarial_weight <= 1:
            raise InvalidArgumentError(f"adversarial_weight must be in [0, 1] (the attacked batch's share of the "
                                       f"loss); got {adversarial_weight}.")
        self.model = model
        self.epsilon, self.attack, self.adversarial_weight = float(epsilon), attack, float(adversarial_weight)
        self.attack_function = lookup("attack", attack, ATTACKS)
        self.attack_options = attack_options

    def call(self, inputs):
        return self.model(inputs)

    def train_step(self, data: tuple) -> dict[str, torch.Tensor]:
        x, y, sample_weight = unpack(data)
        attacked = self.attack_function(self.model, x, y, self.epsilon, **self.attack_options)
        config = self.compiled
        with config.autocast():
            y_pred = self(x)
            y_attacked = self(attacked)
        clean_loss = self.compute_loss(x, y, y_pred, sample_weight)
        adversarial_loss = self.compute_loss(attacked, y, y_attacked, sample_weight)
        loss = (1 - self.adversarial_weight) * clean_loss + self.adversarial_weight * adversarial_loss
        config.optimizer.zero_grad()
        loss.backward()
        config.optimizer.step()
        constraints.apply_all(self)
        config.loss_tracker.add(loss, batch_size_of((x,)))
        logs = dict(self.compute_metrics(x, y, y_pred, sample_weight))
        logs["adversarial_loss"] = adversarial_loss.detach()
        return logs


__all__ = ["AdversarialTraining"]
