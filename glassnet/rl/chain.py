"""A 5-state chain: the smallest environment whose value function you can work out by hand.

States 0-1-2-3-4 sit in a row; the agent starts in one of 0..3 and moves left
(action 0) or right (action 1). Stepping right from state 3 into state 4 ends the
episode with reward 1; every other step gives 0. With discount γ the optimal
values are V*(s) = γ^(3 − s) for s = 0..3: the reward, discounted once per step
still needed to reach it. Observations are one-hot vectors of the state.

>>> env = ChainEnv()
>>> state, info = env.reset(seed=0); env.state = 1  # put the agent in state 1
>>> env.step(1)[1:4]  # (reward, terminated, truncated) after one step right, to state 2
(0.0, False, False)
>>> [round(v, 3) for v in optimal_values(gamma=0.9)]
[0.729, 0.81, 0.9, 1.0]
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

N_STATES = 5
GOAL = N_STATES - 1


def one_hot(state: int) -> np.ndarray:
    """The observation of ``state``: a one-hot float32 vector of length 5.

    >>> one_hot(2).tolist()
    [0.0, 0.0, 1.0, 0.0, 0.0]
    """
    vector = np.zeros(N_STATES, dtype=np.float32)
    vector[state] = 1.0
    return vector


class ChainEnv(gym.Env):
    """The 5-state chain as a Gymnasium environment (deterministic; the start state is seeded).

    >>> env = ChainEnv(); _ = env.reset(seed=1); env.state = 3
    >>> env.step(1)[1:3]
    (1.0, True)
    """

    metadata = {"render_modes": []}

    def __init__(self, max_episode_steps: int = 20):
        self.observation_space = gym.spaces.Box(0.0, 1.0, shape=(N_STATES,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.max_episode_steps = max_episode_steps
        self.state, self.elapsed = 0, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.state, self.elapsed = int(self.np_random.integers(GOAL)), 0
        return one_hot(self.state), {}

    def step(self, action: int):
        self.elapsed += 1
        self.state = min(self.state + 1, GOAL) if int(action) == 1 else max(self.state - 1, 0)
        terminated = self.state == GOAL
        reward = 1.0 if terminated else 0.0
        truncated = not terminated and self.elapsed >= self.max_episode_steps
        return one_hot(self.state), reward, terminated, truncated, {}


def optimal_values(gamma: float) -> list[float]:
    """V*(s) = γ^(3 − s) for the non-terminal states 0..3 (the terminal state 4 is worth 0).

    >>> optimal_values(1.0)
    [1.0, 1.0, 1.0, 1.0]
    """
    return [gamma ** (GOAL - 1 - s) for s in range(GOAL)]


__all__ = ["ChainEnv", "optimal_values", "one_hot"]
