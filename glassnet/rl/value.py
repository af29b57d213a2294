"""The value function made visible: V(s) = max_a Q(s, a), along an episode and over a grid of states.

V(s) is the total (discounted) reward the agent expects from state ``s`` onwards
when it acts greedily. Along an episode it can be set beside what really came:
the discounted return-to-go G_t = r_t + γ·r_{t+1} + γ²·r_{t+2} + ...

>>> returns_to_go([1.0, 1.0, 1.0], gamma=0.5).tolist()
[1.75, 1.5, 1.0]
"""

from __future__ import annotations

import os
from typing import Any, Sequence

import gymnasium as gym
import numpy as np

#: CartPole-v1's state: cart position, cart velocity, pole angle (radians), pole angular velocity
CARTPOLE_STATE = ("cart position", "cart velocity", "pole angle", "pole angular velocity")
#: the episode ends when the pole leans more than 12 degrees
CARTPOLE_MAX_ANGLE = 12 * 2 * np.pi / 360


def state_values(agent, states: Any) -> np.ndarray:
    """V(s) = max_a Q(s, a) for each row of ``states``.

    >>> from glassnet.rl import DQNAgent
    >>> state_values(DQNAgent(4, 2, hidden=(4,), seed=0), np.zeros((3, 4))).shape
    (3,)
    """
    return agent.q_values(np.asarray(states, dtype=np.float32)).max(dim=1).values.numpy()


def returns_to_go(rewards: Sequence[float], gamma: float, bootstrap: float = 0.0) -> np.ndarray:
    """G_t = r_t + γ·G_{t+1} for every step of an episode (``bootstrap`` = the value after the last step).

    >>> returns_to_go([0.0, 1.0], gamma=0.9, bootstrap=10.0).tolist()
    [9.0, 10.0]
    """
    out = np.zeros(len(rewards))
    running = bootstrap
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def episode_values(agent, env: gym.Env, seed: int | None = None, record: bool = False) -> dict[str, Any]:
    """Play one greedy episode; return its ``states``, ``actions``, ``rewards``, ``values`` (V(s_t)),
    ``q_values`` (Q(s_t, ·)) and, with ``record`` (``env`` made with ``render_mode='rgb_array'``), ``frames``.

    >>> from glassnet.rl import ChainEnv, DQNAgent
    >>> sorted(episode_values(DQNAgent(5, 2, hidden=(4,), seed=0), ChainEnv(), seed=0))
    ['actions', 'frames', 'q_values', 'rewards', 'states', 'values']
    """
    if record:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame draws off-screen: no display needed
    state, _ = env.reset(seed=seed)
    states, actions, rewards, q_values, frames = [], [], [], [], []
    done = False
    while not done:
        if record:
            frames.append(env.render())
        q = agent.q_values(state)[0].numpy()
        action = int(q.argmax())
        states.append(np.asarray(state, dtype=np.float32))
        q_values.append(q)
        actions.append(action)
        state, reward, terminated, truncated, _ = env.step(action)
        rewards.append(float(reward))
        done = terminated or truncated
    if record:
        frames.append(env.render())
    q_values = np.array(q_values)
    return {"states": np.array(states), "actions": np.array(actions), "rewards": np.array(rewards),
            "values": q_values.max(axis=1), "q_values": q_values, "frames": frames}


def cartpole_value_grid(agent, angles: Sequence[float] | None = None, angular_velocities: Sequence[float] | None = None,
                        cart_position: float = 0.0, cart_velocity: float = 0.0) -> dict[str, np.ndarray]:
    """Q over a grid of pole angle × pole angular velocity, the cart held at ``cart_position`` moving at
    ``cart_velocity``: ``values`` (V = max_a Q, shape (velocities, angles)), ``best_action`` (0 push left,
    1 push right), and the ``angles`` and ``angular_velocities`` axes.

    >>> from glassnet.rl import DQNAgent
    >>> cartpole_value_grid(DQNAgent(4, 2, hidden=(4,), seed=0), np.zeros(3), np.zeros(2))['values'].shape
    (2, 3)
    """
    angles = np.linspace(-CARTPOLE_MAX_ANGLE, CARTPOLE_MAX_ANGLE, 81) if angles is None else np.asarray(angles)
    angular_velocities = np.linspace(-2.0, 2.0, 81) if angular_velocities is None else np.asarray(angular_velocities)
    w, theta = np.meshgrid(angular_velocities, angles, indexing="ij")
    states = np.stack([np.full(theta.size, cart_position), np.full(theta.size, cart_velocity),
                       theta.ravel(), w.ravel()], axis=1)
    q = agent.q_values(states.astype(np.float32)).numpy().reshape(*w.shape, -1)
    return {"values": q.max(axis=-1), "best_action": q.argmax(axis=-1), "angles": angles,
            "angular_velocities": angular_velocities}


__all__ = ["state_values", "returns_to_go", "episode_values", "cartpole_value_grid", "CARTPOLE_STATE",
           "CARTPOLE_MAX_ANGLE"]
