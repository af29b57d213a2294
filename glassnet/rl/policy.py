"""How the agent picks actions: epsilon-greedy, with epsilon decaying over training.

With probability epsilon the agent *explores* (a random action); otherwise it
*exploits* (the action whose Q-value is highest). Early on the Q-network knows
nothing, so epsilon starts at 1 (all random) and decays to a small floor.

>>> schedule = LinearDecay(start=1.0, end=0.1, steps=10)
>>> [round(schedule(step), 2) for step in (0, 5, 10, 50)]
[1.0, 0.55, 0.1, 0.1]
>>> policy = EpsilonGreedy(n_actions=2, schedule=schedule, seed=0)
>>> policy.explores(step=100) in (True, False)
True
"""

from __future__ import annotations

import numpy as np
import torch

from glassnet.errors import InvalidArgumentError


class LinearDecay:
    """epsilon falls in a straight line from ``start`` to ``end`` over ``steps`` steps, then stays at ``end``.

    >>> LinearDecay(1.0, 0.0, 4)(2)
    0.5
    """

    def __init__(self, start: float = 1.0, end: float = 0.05, steps: int = 10_000):
        if not (0.0 <= end <= 1.0 and 0.0 <= start <= 1.0) or steps < 0:
            raise InvalidArgumentError(f"LinearDecay(start={start}, end={end}, steps={steps}): start and end are "
                                       "probabilities in [0, 1] and steps is >= 0; e.g. LinearDecay(1.0, 0.05, 10000).")
        self.start, self.end, self.steps = float(start), float(end), int(steps)

    def __call__(self, step: int) -> float:
        if step >= self.steps:
            return self.end
        return self.start + (self.end - self.start) * step / self.steps


class EpsilonGreedy:
    """Explore with probability ``schedule(step)``, otherwise take the greedy action (seeded).

    >>> policy = EpsilonGreedy(n_actions=3, schedule=LinearDecay(0.0, 0.0, 0), seed=0)
    >>> policy.select(torch.tensor([0.1, 0.7, 0.2]), step=0)  # epsilon 0: always greedy
    1
    """

    def __init__(self, n_actions: int, schedule: LinearDecay, seed: int | None = None):
        self.n_actions, self.schedule = int(n_actions), schedule
        self.rng = np.random.default_rng(seed)

    def epsilon(self, step: int) -> float:
        """The exploration probability at ``step`` (environment steps so far)."""
        return self.schedule(step)

    def explores(self, step: int) -> bool:
        """Draw whether this step explores (then no Q-values are needed)."""
        return bool(self.rng.random() < self.epsilon(step))

    def random_action(self) -> int:
        """A uniformly random action."""
        return int(self.rng.integers(self.n_actions))

    def select(self, q_values: torch.Tensor, step: int) -> int:
        """A random action with probability epsilon, else ``argmax q_values``."""
        if self.explores(step):
            return self.random_action()
        return greedy(q_values)


def greedy(q_values: torch.Tensor) -> int:
    """The action with the highest Q-value (the first one on ties).

    >>> greedy(torch.tensor([[1.0, 3.0]]))
    1
    """
    return int(torch.as_tensor(q_values).reshape(-1).argmax())


__all__ = ["LinearDecay", "EpsilonGreedy", "greedy"]
