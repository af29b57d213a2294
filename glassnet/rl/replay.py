"""The replay buffer: the agent's memory of past transitions (s, a, r, s', done).

A DQN learns from random mini-batches of old transitions instead of the latest
one: consecutive steps of an episode are strongly correlated, and a random batch
from a large memory looks much more like the i.i.d. data supervised learning
expects. The buffer is a ring: once full, the newest transition overwrites the
oldest. Its tensors are allocated once, up front, and sampling is seeded.

>>> buffer = ReplayBuffer(capacity=3, observation_shape=(2,), seed=0)
>>> for t in range(4):  # the 4th transition overwrites the 1st
...     buffer.add([t, t], action=t % 2, reward=float(t), next_state=[t + 1, t + 1], done=t == 3)
>>> len(buffer), buffer.rewards.tolist()
(3, [3.0, 1.0, 2.0])
>>> batch = buffer.sample(2); batch.states.shape, batch.actions.dtype
(torch.Size([2, 2]), torch.int64)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from glassnet.errors import InvalidArgumentError


class Transitions(NamedTuple):
    """A batch of transitions: row i is (states[i], actions[i], rewards[i], next_states[i], dones[i])."""

    states: torch.Tensor
    actions: torch.Tensor
    rewards: torch.Tensor
    next_states: torch.Tensor
    dones: torch.Tensor


class ReplayBuffer:
    """A fixed-size ring of transitions, sampled uniformly (with replacement) by a seeded generator.

    ``done`` means *terminated*: the episode ended inside the environment (the pole fell), so
    there is no future reward. An episode cut by a time limit (Gymnasium's ``truncated``) is not
    done: the state still has a future, and its value must still be bootstrapped.

    >>> buffer = ReplayBuffer(capacity=100, observation_shape=(4,), seed=1)
    >>> buffer.add([0.0, 0.1, 0.2, 0.3], 1, 1.0, [0.1, 0.2, 0.3, 0.4], False)
    >>> buffer.sample(1).next_states.tolist()
    [[0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645]]
    """

    def __init__(self, capacity: int, observation_shape: tuple[int, ...], seed: int | None = None):
        if capacity < 1:
            raise InvalidArgumentError(f"ReplayBuffer(capacity={capacity}): the capacity must be at least 1; "
                                       "DQN usually keeps 10,000 to 1,000,000 transitions.")
        self.capacity = int(capacity)
        self.states = torch.zeros((self.capacity, *observation_shape))
        self.actions = torch.zeros(self.capacity, dtype=torch.int64)
        self.rewards = torch.zeros(self.capacity)
        self.next_states = torch.zeros((self.capacity, *observation_shape))
        self.dones = torch.zeros(self.capacity)
        self.position = 0  # where the next transition goes
        self.size = 0
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(int(seed))

    def __len__(self) -> int:
        return self.size

    def add(self, state: Any, action: int, reward: float, next_state: Any, done: bool) -> None:
        """Store one transition, overwriting the oldest once the buffer is full."""
        i = self.position
        self.states[i] = torch.as_tensor(state, dtype=torch.float32)
        self.actions[i] = int(action)
        self.rewards[i] = float(reward)
        self.next_states[i] = torch.as_tensor(next_state, dtype=torch.float32)
        self.dones[i] = float(done)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> Transitions:
        """``batch_size`` transitions drawn uniformly at random (indices from ``torch.randint``)."""
        if self.size == 0:
            raise InvalidArgumentError("ReplayBuffer.sample: the buffer is empty; add transitions first "
                                       "(DQN waits for `learning_starts` steps before learning).")
        index = torch.randint(0, self.size, (int(batch_size),), generator=self.generator)
        return Transitions(self.states[index], self.actions[index], self.rewards[index],
                           self.next_states[index], self.dones[index])


__all__ = ["ReplayBuffer", "Transitions"]
