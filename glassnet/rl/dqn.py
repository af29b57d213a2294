"""The Deep Q-Network agent (Mnih et al., 2015): a glassnet model that learns Q(s, a).

Q(s, a) is the total discounted reward the agent can expect after taking action
``a`` in state ``s`` and acting well afterwards. It obeys the Bellman equation
Q(s, a) = r + γ · max_a' Q(s', a'), so DQN turns it into supervised learning:
the *target* r + γ · (1 − done) · max_a' Q'(s', a') (Q' = a slowly-following copy,
the *target network*) is the label, and the Q-network regresses towards it with
the Huber loss on random batches from the replay buffer.

>>> agent = DQNAgent(observation_size=4, n_actions=2, hidden=(16,), learning_starts=2, batch_size=2, seed=0)
>>> for t in range(3):
...     logs = agent.observe([0.0, 0.1, 0.0, 0.1], agent.act([0.0, 0.1, 0.0, 0.1]), 1.0, [0.0] * 4, False)
>>> sorted(logs)
['loss', 'mean_q']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import torch

from glassnet import losses, optimizers
from glassnet.errors import DataFileError, InvalidArgumentError
from glassnet.io import atomic_write_bytes
from glassnet.rl.policy import EpsilonGreedy, LinearDecay, greedy
from glassnet.rl.replay import ReplayBuffer, Transitions


def bellman_targets(rewards: torch.Tensor, next_q: torch.Tensor, dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """r + γ · (1 − done) · max_a' Q'(s', a'): what Q(s, a) should be, one value per transition.

    ``next_q`` holds the target network's Q-values of the next states, shape (batch, actions).

    >>> bellman_targets(torch.tensor([1.0, 1.0]), torch.tensor([[2.0, 5.0], [2.0, 5.0]]),
    ...                 torch.tensor([0.0, 1.0]), gamma=0.9).tolist()
    [5.5, 1.0]
    """
    return rewards + gamma * (1.0 - dones) * next_q.max(dim=1).values


def double_dqn_targets(rewards: torch.Tensor, next_q_online: torch.Tensor, next_q_target: torch.Tensor,
                       dones: torch.Tensor, gamma: float) -> torch.Tensor:
    """Double DQN (van Hasselt et al., 2016): the online network *chooses* a' = argmax Q(s', ·), the
    target network *rates* it. Taking the max of noisy estimates overrates them; this splits the roles.

    >>> double_dqn_targets(torch.tensor([0.0]), torch.tensor([[9.0, 1.0]]), torch.tensor([[2.0, 5.0]]),
    ...                    torch.tensor([0.0]), gamma=0.5).tolist()  # online picks a'=0, rated 2 by the target
    [1.0]
    """
    choice = next_q_online.argmax(dim=1, keepdim=True)
    return rewards + gamma * (1.0 - dones) * next_q_target.gather(1, choice).squeeze(1)


def q_network(observation_size: int, n_actions: int, hidden: Sequence[int] = (128, 128), name: str = "q_network"):
    """A glassnet ``Sequential``: state in, one Q-value per action out (linear, no activation).

    >>> q_network(4, 2, hidden=(8,)).count_params()
    58
    """
    from glassnet.layers import Dense, Input
    from glassnet.models import Sequential
    layers = [Dense(int(units), activation="relu") for units in hidden]
    return Sequential([Input(shape=(observation_size,)), *layers, Dense(n_actions)], name=name)


class DQNAgent:
    """A DQN agent: a Q-network (glassnet ``Sequential``), its target network, a replay buffer and an
    epsilon-greedy policy. ``act`` chooses, ``observe`` remembers and learns; everything is seeded.

    ``network`` replaces the default ``q_network(observation_size, n_actions, hidden)`` by your own glassnet
    model (states in, ``n_actions`` values out); compile it first to choose its optimizer and loss.

    Target network: a hard copy every ``target_update_every`` gradient steps, or, with ``tau``, a
    Polyak average after every step (target ← (1 − τ)·target + τ·online). ``double_dqn`` uses the
    Double-DQN target. ``learning_starts`` steps of experience are gathered before the first update,
    then one update every ``train_every`` steps.

    >>> agent = DQNAgent(observation_size=4, n_actions=2, hidden=(8,), seed=0)
    >>> agent.q_values([[0.0, 0.0, 0.0, 0.0]]).shape, agent.epsilon
    (torch.Size([1, 2]), 1.0)
    """

    def __init__(self, observation_size: int, n_actions: int, *, hidden: Sequence[int] = (128, 128),
                 gamma: float = 0.99, learning_rate: float = 1e-3, batch_size: int = 64, buffer_size: int = 50_000,
                 learning_starts: int = 1_000, train_every: int = 1, target_update_every: int = 500,
                 tau: float | None = None, double_dqn: bool = True, epsilon_start: float = 1.0,
                 epsilon_end: float = 0.05, epsilon_decay_steps: int = 10_000, huber_delta: float = 1.0,
                 clipnorm: float | None = 10.0, seed: int = 0, network=None):
        _check(gamma, tau, batch_size, train_every, target_update_every)
        self.config = {k: v for k, v in locals().items() if k not in ("self", "__class__", "network")}
        self.config["hidden"] = [int(units) for units in hidden]
        self.observation_size, self.n_actions = int(observation_size), int(n_actions)
        self.gamma, self.batch_size, self.learning_starts = float(gamma), int(batch_size), int(learning_starts)
        self.train_every, self.target_update_every, self.tau = int(train_every), int(target_update_every), tau
        self.double_dqn = bool(double_dqn)
        if network is None:
            with torch.random.fork_rng(devices=[]):  # the seed picks the initial weights, not torch's global RNG
                torch.manual_seed(seed)
                network = q_network(self.observation_size, self.n_actions, hidden)
        if network.compiled is None:  # your own network may come compiled with its own optimizer and loss
            network.compile(optimizer=optimizers.Adam(learning_rate=learning_rate, clipnorm=clipnorm),
                            loss=losses.Huber(delta=huber_delta))
        self._use_network(network)
        self.buffer = ReplayBuffer(buffer_size, (self.observation_size,), seed=seed)
        self.policy = EpsilonGreedy(self.n_actions, LinearDecay(epsilon_start, epsilon_end, epsilon_decay_steps),
                                    seed=seed)
        self.steps = 0  # environment steps seen
        self.updates = 0  # gradient steps taken

    def _use_network(self, network) -> None:
        """Make ``network`` the Q-network: bind its compiled optimizer, copy it into the target network."""
        from glassnet.models import clone_model
        self.q_network = network
        self.optimizer = network.compiled.optimizer
        self.loss = network.compiled.losses[0]  # the compiled Huber loss
        self.optimizer.bind(list(network.parameters()))
        pending = getattr(network.compiled, "pending_optimizer_state", None)
        if pending is not None:  # a loaded agent carries on with its Adam moments
            self.optimizer.load_state_dict(pending)
            network.compiled.pending_optimizer_state = None
        self.target_network = clone_model(network)
        self.target_network.load_state_dict(network.state_dict())
        self.target_network.requires_grad_(False)
        online, target = network.state_dict(), self.target_network.state_dict()
        self._weight_pairs = ([online[k] for k in online], [target[k] for k in online])

    # ---------------------------------------------------------------- acting
    @property
    def epsilon(self) -> float:
        """The current exploration probability."""
        return self.policy.epsilon(self.steps)

    def q_values(self, states: Any) -> torch.Tensor:
        """Q(s, ·) for a batch of states, shape (batch, actions), without gradients."""
        states = torch.as_tensor(states, dtype=torch.float32).reshape(-1, self.observation_size)
        with torch.no_grad():
            return self.q_network(states)

    def act(self, state: Any, explore: bool = True) -> int:
        """An action for ``state``: epsilon-greedy while training, greedy with ``explore=False``."""
        if explore and self.policy.explores(self.steps):
            return self.policy.random_action()
        return greedy(self.q_values(state))

    # ---------------------------------------------------------------- learning
    def observe(self, state: Any, action: int, reward: float, next_state: Any, terminated: bool
                ) -> dict[str, float] | None:
        """Remember one transition and, when due, learn from a batch; returns that step's logs or None."""
        self.buffer.add(state, action, reward, next_state, terminated)
        self.steps += 1
        if self.steps < self.learning_starts or self.steps % self.train_every:
            return None
        return self.learn(self.buffer.sample(self.batch_size))

    def targets(self, batch: Transitions, next_q_online: torch.Tensor | None = None) -> torch.Tensor:
        """The Bellman (or Double-DQN) targets of a batch, from the target network (Double DQN also
        needs the online network's Q(s', ·): pass it as ``next_q_online`` if already computed)."""
        with torch.no_grad():
            next_q = self.target_network(batch.next_states)
            if not self.double_dqn:
                return bellman_targets(batch.rewards, next_q, batch.dones, self.gamma)
            if next_q_online is None:
                next_q_online = self.q_network(batch.next_states)
            return double_dqn_targets(batch.rewards, next_q_online, next_q, batch.dones, self.gamma)

    def learn(self, batch: Transitions) -> dict[str, float]:
        """One gradient step of the Huber loss between Q(s, a) and the targets; then the target update."""
        if self.double_dqn:  # one forward pass for Q(s, ·) and Q(s', ·) (the latter without gradient)
            q, next_q = self.q_network(torch.cat([batch.states, batch.next_states])).chunk(2)
            targets = self.targets(batch, next_q.detach())
        else:
            q, targets = self.q_network(batch.states), self.targets(batch)
        q_taken = q.gather(1, batch.actions[:, None])
        loss = self.loss(targets[:, None], q_taken)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.updates += 1
        self.update_target()
        return {"loss": float(loss.detach()), "mean_q": float(q_taken.detach().mean())}

    def update_target(self) -> None:
        """Polyak-average (with ``tau``) or, every ``target_update_every`` updates, copy the weights."""
        if self.tau is None and self.updates % self.target_update_every:
            return
        online, target = self._weight_pairs
        with torch.no_grad():
            if self.tau is not None:
                torch._foreach_lerp_(target, online, self.tau)
            else:
                torch._foreach_copy_(target, online)

    # ---------------------------------------------------------------- saving
    def save(self, folder: str | Path) -> Path:
        """``folder/q_network.glassnet`` (a glassnet model: weights and optimizer), the target network
        beside it, and ``folder/agent.json`` (settings and counters; no pickle). :meth:`load` reads them back."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.q_network.save(folder / "q_network.glassnet")
        self.target_network.save(folder / "target_network.glassnet")
        state = {"observation_size": self.observation_size, "n_actions": self.n_actions, "config": {
            k: v for k, v in self.config.items() if k not in ("observation_size", "n_actions")},
            "steps": self.steps, "updates": self.updates}
        atomic_write_bytes(folder / "agent.json", json.dumps(state, indent=2).encode())
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "DQNAgent":
        """An agent saved with :meth:`save`: same settings, Q-network and counters (its replay memory is
        not saved: a loaded agent that trains on gathers new experience first)."""
        from glassnet.models import load_model
        folder = Path(folder)
        try:
            state = json.loads((folder / "agent.json").read_text())
            agent = cls(state["observation_size"], state["n_actions"], **state["config"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise DataFileError(f"Cannot read the agent in {folder} ({type(err).__name__}: {err}). Give the folder "
                                "written by DQNAgent.save (it holds agent.json and q_network.glassnet).") from err
        agent._use_network(load_model(folder / "q_network.glassnet"))
        agent.target_network.load_state_dict(load_model(folder / "target_network.glassnet", compile=False).state_dict())
        agent.steps, agent.updates = int(state["steps"]), int(state["updates"])
        return agent


def _check(gamma: float, tau: float | None, batch_size: int, train_every: int, target_update_every: int) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise InvalidArgumentError(f"DQNAgent(gamma={gamma}): the discount must be in [0, 1]; 0.99 is usual.")
    if tau is not None and not 0.0 < tau <= 1.0:
        raise InvalidArgumentError(f"DQNAgent(tau={tau}): the Polyak rate must be in (0, 1]; try 0.005, or "
                                   "tau=None for a periodic copy.")
    for name, value in (("batch_size", batch_size), ("train_every", train_every),
                        ("target_update_every", target_update_every)):
        if value < 1:
            raise InvalidArgumentError(f"DQNAgent({name}={value}) must be at least 1.")


__all__ = ["DQNAgent", "bellman_targets", "double_dqn_targets", "q_network"]
