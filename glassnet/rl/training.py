"""The DQN training loop: episodes play the role of epochs.

Each episode the agent plays from a fresh start, acting epsilon-greedily and
learning as it goes. glassnet's callbacks see every episode as an epoch
(``on_epoch_end(episode, logs)``) and every environment step as a batch, so
``History``, ``CSVLogger`` or your own ``Callback`` work unchanged; the progress
bar prints one line per block of episodes (one per evaluation). The logs of an
episode: ``return`` (total reward), ``steps``, ``epsilon``, ``loss`` and
``mean_q`` (means over the episode's updates; NaN before learning starts) and
``eval_return``: the greedy policy's mean return over ``evaluation_episodes``
fresh episodes, every ``evaluate_every`` episodes (NaN in between).

>>> from glassnet.rl import ChainEnv, DQNAgent
>>> agent = DQNAgent(5, 2, hidden=(8,), learning_starts=5, batch_size=4, seed=0)
>>> history = train(agent, ChainEnv, episodes=3, evaluate_every=0, verbose=0)
>>> sorted(history.history)
['epsilon', 'eval_return', 'loss', 'mean_q', 'return', 'steps']
"""

from __future__ import annotations

import copy
import math
from typing import Callable

import gymnasium as gym
import numpy as np
import torch

from glassnet.callbacks import Callback, CallbackList, History
from glassnet.errors import InvalidArgumentError
from glassnet.training.progress import ProgressBar

EnvSource = str | Callable[[], gym.Env] | gym.Env


def env_factory(env: EnvSource) -> Callable[[], gym.Env]:
    """A function making fresh copies of ``env``: a Gymnasium id ('CartPole-v1'), a class or function
    returning an environment, or an environment (copied through its registered id, else deep-copied).

    >>> env_factory('CartPole-v1')().spec.id
    'CartPole-v1'
    """
    if isinstance(env, str):
        return lambda: gym.make(env)
    if isinstance(env, gym.Env):
        if env.spec is not None:
            return lambda: gym.make(env.spec.id)
        return lambda: copy.deepcopy(env)
    if callable(env):
        return env
    raise InvalidArgumentError(f"Expected a Gymnasium environment, its id (e.g. 'CartPole-v1') or a function "
                               f"making one; got {type(env).__name__}.")


def evaluate(agent, env: EnvSource, episodes: int = 20, seed: int = 10_000) -> np.ndarray:
    """The returns of ``episodes`` greedy episodes (no exploration, no learning), played side by side so
    the Q-network sees one batch of states per step. Episode i starts from ``reset(seed=seed + i)``.

    >>> from glassnet.rl import ChainEnv, DQNAgent
    >>> evaluate(DQNAgent(5, 2, hidden=(4,), seed=0), ChainEnv, episodes=3).shape
    (3,)
    """
    make = env_factory(env)
    envs = [make() for _ in range(episodes)]
    states = np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)]).astype(np.float32)
    returns = np.zeros(episodes)
    active = np.ones(episodes, dtype=bool)
    while active.any():
        playing = np.flatnonzero(active)
        actions = agent.q_values(states[playing]).argmax(dim=1).tolist()
        for i, action in zip(playing, actions):
            states[i], reward, terminated, truncated, _ = envs[i].step(action)
            returns[i] += reward
            active[i] = not (terminated or truncated)
    for e in envs:
        e.close()
    return returns


def random_returns(env: EnvSource, episodes: int = 20, seed: int = 10_000) -> np.ndarray:
    """The returns of a policy that picks uniformly random actions: the baseline to beat.

    >>> float(random_returns('CartPole-v1', episodes=5).mean()) < 50
    True
    """
    make = env_factory(env)
    returns = np.zeros(episodes)
    for i in range(episodes):
        e = make()
        e.reset(seed=seed + i)
        e.action_space.seed(seed + i)
        done = False
        while not done:
            _, reward, terminated, truncated, _ = e.step(e.action_space.sample())
            returns[i] += reward
            done = terminated or truncated
        e.close()
    return returns


class StopWhenSolved(Callback):
    """Stop training once ``monitor`` (by default the greedy evaluation's mean return) reaches
    ``threshold`` — CartPole-v1 counts as solved at 475 — and, with ``restore_best_weights``, end with
    the Q-network of the best evaluation. NaN values (episodes without an evaluation) are skipped.

    >>> class Net:
    ...     stop_training = False
    >>> stop = StopWhenSolved(threshold=475); stop.set_model(Net())
    >>> for episode, value in enumerate([float('nan'), 300.0, 480.0]):
    ...     stop.on_epoch_end(episode, {'eval_return': value})
    >>> stop.model.stop_training, stop.solved_episode, stop.best
    (True, 2, 480.0)
    """

    def __init__(self, threshold: float = 475.0, monitor: str = "eval_return", restore_best_weights: bool = True):
        super().__init__()
        self.threshold, self.monitor, self.restore_best_weights = float(threshold), monitor, restore_best_weights
        self.best, self.best_episode, self.solved_episode = -math.inf, None, None
        self.best_weights: dict[str, torch.Tensor] | None = None

    def on_epoch_end(self, epoch, logs=None):
        value = float((logs or {}).get(self.monitor, math.nan))
        if math.isnan(value):
            return
        if value > self.best:
            self.best, self.best_episode = value, epoch
            if self.restore_best_weights and hasattr(self.model, "state_dict"):
                self.best_weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        if value >= self.threshold:
            self.solved_episode = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


def train(agent, env: EnvSource, episodes: int = 500, *, callbacks: list[Callback] | None = None,
          evaluate_every: int = 10, evaluation_episodes: int = 10, seed: int = 0, verbose: int = 1) -> History:
    """Let ``agent`` play ``episodes`` episodes of ``env`` and learn; returns the ``History`` of the
    episode logs (see the module docstring). The environment is reset with ``seed`` once, so a run is
    reproducible; evaluations use their own environments (seeds 1000, 1001, ...)."""
    make = env_factory(env)
    environment = env if isinstance(env, gym.Env) else make()
    history = History()
    hooks = CallbackList([*(callbacks or []), history], model=agent.q_network, epochs=episodes, steps=None,
                         verbose=verbose)
    block = evaluate_every or 10
    bar = ProgressBar(verbose, total_epochs=episodes, steps=block)
    name = environment.spec.id if environment.spec is not None else type(environment).__name__
    bar.header(f"DQN on {name}: {episodes} episodes · Q-network {agent.q_network.count_params():,} parameters")
    agent.q_network.stop_training = False
    hooks.on_train_begin({})
    environment.reset(seed=seed)
    environment.action_space.seed(seed)
    steps_before = agent.steps
    for episode in range(episodes):
        if episode % block == 0:
            bar.start(None, label=f"Episodes {episode + 1}-{min(episode + block, episodes)}/{episodes}")
            steps_before = agent.steps
        hooks.on_epoch_begin(episode, {})
        logs = play_episode(agent, environment, hooks, reset_seed=None)
        due = evaluate_every and (episode + 1) % evaluate_every == 0
        logs["eval_return"] = float(evaluate(agent, make, evaluation_episodes, seed=1000).mean()) if due else math.nan
        hooks.on_epoch_end(episode, logs)
        bar.update(episode % block + 1, lambda: _shown(logs))
        if (episode + 1) % block == 0 or episode + 1 == episodes or agent.q_network.stop_training:
            bar.finish(_shown(logs), agent.steps - steps_before)
        if agent.q_network.stop_training:
            break
    hooks.on_train_end({})
    if environment is not env:
        environment.close()
    return history


def play_episode(agent, env: gym.Env, hooks: CallbackList | None = None, reset_seed: int | None = None
                 ) -> dict[str, float]:
    """One training episode: act, observe, learn; returns the episode's logs."""
    state, _ = env.reset(seed=reset_seed)
    total, steps, losses, values = 0.0, 0, [], []
    batch_events = hooks is not None and hooks.wants_batch_events
    done = False
    while not done:
        if batch_events:
            hooks.on_train_batch_begin(steps, {})
        action = agent.act(state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        step_logs = agent.observe(state, action, reward, next_state, terminated)
        if step_logs is not None:
            losses.append(step_logs["loss"])
            values.append(step_logs["mean_q"])
        if batch_events:
            hooks.on_train_batch_end(steps, step_logs or {})
        total += float(reward)
        steps += 1
        state, done = next_state, terminated or truncated
    return {"return": total, "steps": float(steps), "epsilon": agent.epsilon,
            "loss": float(np.mean(losses)) if losses else math.nan,
            "mean_q": float(np.mean(values)) if values else math.nan}


def _shown(logs: dict[str, float]) -> dict[str, float]:
    """The logs for the progress line (without NaN placeholders)."""
    return {k: v for k, v in logs.items() if not (isinstance(v, float) and math.isnan(v))}


__all__ = ["train", "evaluate", "random_returns", "play_episode", "StopWhenSolved", "env_factory"]
