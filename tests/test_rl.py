"""glassnet.rl: the replay buffer, the policy, the Bellman targets and a DQN on a 5-state chain whose
optimal values are known exactly."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from glassnet.callbacks import Callback
from glassnet.errors import DataFileError, InvalidArgumentError
from glassnet.rl import (ChainEnv, DQNAgent, EpsilonGreedy, LinearDecay, ReplayBuffer, StopWhenSolved, Transitions,
                         bellman_targets, double_dqn_targets, evaluate, optimal_values, random_returns,
                         returns_to_go, train)
from glassnet.rl.chain import one_hot


# ---------------------------------------------------------------- replay buffer
def test_replay_buffer_stores_transitions_and_overwrites_the_oldest():
    buffer = ReplayBuffer(capacity=3, observation_shape=(2,), seed=0)
    for t in range(5):
        buffer.add([t, -t], action=t % 2, reward=10.0 * t, next_state=[t + 1, -t - 1], done=t == 4)
    assert len(buffer) == 3 and buffer.position == 2
    # slots 0, 1, 2 hold transitions 3, 4, 2 (3 and 4 overwrote 0 and 1)
    assert buffer.states.tolist() == [[3, -3], [4, -4], [2, -2]]
    assert buffer.actions.tolist() == [1, 0, 0]
    assert buffer.rewards.tolist() == [30.0, 40.0, 20.0]
    assert buffer.next_states.tolist() == [[4, -4], [5, -5], [3, -3]]
    assert buffer.dones.tolist() == [0.0, 1.0, 0.0]


def test_replay_buffer_samples_uniformly_with_its_seeded_generator():
    buffer = ReplayBuffer(capacity=10, observation_shape=(1,), seed=7)
    for t in range(6):
        buffer.add([t], 0, float(t), [t + 1], False)
    batch = buffer.sample(32)
    expected = torch.randint(0, 6, (32,), generator=torch.Generator().manual_seed(7))  # only the 6 filled slots
    assert batch.rewards.tolist() == expected.float().tolist()
    assert batch.states[:, 0].tolist() == expected.float().tolist()
    assert batch.next_states[:, 0].tolist() == (expected + 1).float().tolist()
    again = ReplayBuffer(capacity=10, observation_shape=(1,), seed=7)
    for t in range(6):
        again.add([t], 0, float(t), [t + 1], False)
    assert torch.equal(again.sample(32).rewards, batch.rewards)  # same seed, same batches


def test_replay_buffer_errors_say_what_to_do():
    with pytest.raises(InvalidArgumentError, match="capacity must be at least 1"):
        ReplayBuffer(0, (4,))
    with pytest.raises(InvalidArgumentError, match="buffer is empty"):
        ReplayBuffer(5, (4,)).sample(1)


# ---------------------------------------------------------------- policy
def test_linear_decay_and_epsilon_greedy_frequencies():
    schedule = LinearDecay(1.0, 0.1, 100)
    assert [schedule(s) for s in (0, 50, 100, 1000)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    policy = EpsilonGreedy(n_actions=4, schedule=LinearDecay(0.3, 0.3, 0), seed=0)
    q = torch.tensor([0.0, 0.0, 5.0, 0.0])
    actions = np.array([policy.select(q, step=0) for _ in range(4000)])
    # greedy with probability 0.7, plus 0.3 / 4 when the random action happens to be the greedy one
    assert np.mean(actions == 2) == pytest.approx(0.7 + 0.3 / 4, abs=0.03)
    assert set(np.unique(actions)) == {0, 1, 2, 3}
    with pytest.raises(InvalidArgumentError, match="probabilities in"):
        LinearDecay(1.5, 0.1, 10)


# ---------------------------------------------------------------- Bellman targets
def test_bellman_targets_against_hand_computed_values():
    rewards = torch.tensor([1.0, 0.0, -1.0])
    next_q = torch.tensor([[0.5, 2.0], [3.0, 1.0], [4.0, 4.5]])
    dones = torch.tensor([0.0, 0.0, 1.0])
    # 1 + 0.9 * 2.0 ; 0 + 0.9 * 3.0 ; terminal: the reward alone
    assert bellman_targets(rewards, next_q, dones, 0.9).tolist() == pytest.approx([2.8, 2.7, -1.0])
    online = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])  # online picks a'=0, 1, 1
    assert double_dqn_targets(rewards, online, next_q, dones, 0.9).tolist() == pytest.approx([1.45, 0.9, -1.0])


def test_agent_targets_use_the_target_network_and_a_step_follows_the_huber_gradient():
    agent = DQNAgent(5, 2, hidden=(8,), learning_rate=0.1, double_dqn=False, clipnorm=None, seed=0)
    for key, value in agent.target_network.state_dict().items():  # a target network that differs from the online
        value.add_(0.5)
    states = torch.stack([torch.from_numpy(one_hot(s)) for s in (0, 1, 2)])
    next_states = torch.stack([torch.from_numpy(one_hot(s)) for s in (1, 2, 3)])
    batch = Transitions(states, torch.tensor([1, 0, 1]), torch.tensor([0.0, 1.0, 0.0]), next_states,
                        torch.tensor([0.0, 0.0, 1.0]))
    with torch.no_grad():
        expected_targets = batch.rewards + 0.99 * (1 - batch.dones) * agent.target_network(next_states).max(1).values
    assert torch.allclose(agent.targets(batch), expected_targets)
    # the same step by hand in plain torch: Huber loss on Q(s, a), Adam
    reference = {k: v.clone().requires_grad_(True) for k, v in agent.q_network.state_dict().items()}
    (w0, b0, w1, b1) = (reference[k] for k in ("dense.weight", "dense.bias", "dense_1.weight", "dense_1.bias"))
    q = torch.relu(states @ w0.T + b0) @ w1.T + b1
    loss = torch.nn.functional.huber_loss(q.gather(1, batch.actions[:, None]).squeeze(1), expected_targets)
    adam = torch.optim.Adam([w0, b0, w1, b1], lr=0.1, eps=1e-7)
    loss.backward()
    adam.step()
    logs = agent.learn(batch)
    assert logs["loss"] == pytest.approx(loss.item(), rel=1e-5)
    for key, value in agent.q_network.state_dict().items():
        assert torch.allclose(value, reference[key], atol=1e-6), key


def test_target_network_hard_copy_and_polyak_update():
    hard = DQNAgent(5, 2, hidden=(4,), target_update_every=2, seed=0)
    before = {k: v.clone() for k, v in hard.target_network.state_dict().items()}
    with torch.no_grad():
        for p in hard.q_network.parameters():
            p.add_(1.0)
    hard.updates = 1; hard.update_target()
    assert all(torch.equal(v, before[k]) for k, v in hard.target_network.state_dict().items())  # not yet
    hard.updates = 2; hard.update_target()
    assert all(torch.equal(v, hard.q_network.state_dict()[k]) for k, v in hard.target_network.state_dict().items())
    soft = DQNAgent(5, 2, hidden=(4,), tau=0.25, seed=0)
    target = {k: v.clone() for k, v in soft.target_network.state_dict().items()}
    with torch.no_grad():
        for p in soft.q_network.parameters():
            p.add_(1.0)
    soft.update_target()
    for key, value in soft.target_network.state_dict().items():
        assert torch.allclose(value, 0.75 * target[key] + 0.25 * soft.q_network.state_dict()[key])


def test_agent_settings_are_checked():
    with pytest.raises(InvalidArgumentError, match="discount must be in"):
        DQNAgent(4, 2, gamma=1.5)
    with pytest.raises(InvalidArgumentError, match="Polyak rate"):
        DQNAgent(4, 2, tau=2.0)


# ---------------------------------------------------------------- learning the chain
def _chain_agent(seed: int = 0) -> DQNAgent:
    return DQNAgent(5, 2, hidden=(32,), gamma=0.9, learning_rate=3e-3, batch_size=32, buffer_size=2000,
                    learning_starts=100, target_update_every=50, epsilon_decay_steps=1000, epsilon_end=0.1,
                    seed=seed)


def test_dqn_learns_the_optimal_values_of_the_chain():
    agent = _chain_agent()
    history = train(agent, ChainEnv, episodes=150, evaluate_every=0, verbose=0)
    states = np.stack([one_hot(s) for s in range(4)])
    q = agent.q_values(states).numpy()
    optimal = np.array(optimal_values(0.9))  # V*(s) = 0.9 ** (3 - s)
    np.testing.assert_allclose(q.max(axis=1), optimal, atol=0.05)
    # Q*(s, left) = γ·V*(s − 1) (state 0 stays put): the whole action-value table, not just its max
    left = 0.9 * np.array([optimal[0], optimal[0], optimal[1], optimal[2]])
    np.testing.assert_allclose(q[:, 0], left, atol=0.05)
    assert (q.argmax(axis=1) == 1).all()  # the greedy policy walks right
    assert evaluate(agent, ChainEnv, episodes=5).tolist() == [1.0] * 5
    assert history.history["epsilon"][-1] == pytest.approx(1.0 - 0.9 * agent.steps / 1000)  # still decaying


def test_training_is_reproducible_with_a_seed():
    runs = []
    for _ in range(2):
        agent = _chain_agent(seed=3)
        history = train(agent, ChainEnv, episodes=30, evaluate_every=0, seed=3, verbose=0)
        runs.append((history.history["return"], history.history["loss"],
                     agent.q_network.state_dict()["dense.weight"].clone()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert torch.equal(runs[0][2], runs[1][2])


def test_episodes_are_epochs_for_callbacks():
    class Record(Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_train_begin(self, logs=None):
            self.events.append("begin")

        def on_epoch_end(self, epoch, logs=None):
            self.events.append((epoch, sorted(logs)))

        def on_train_batch_end(self, batch, logs=None):
            self.events.append("step")

        def on_train_end(self, logs=None):
            self.events.append("end")

    record = Record()
    agent = _chain_agent()
    history = train(agent, ChainEnv, episodes=3, callbacks=[record], evaluate_every=2, evaluation_episodes=2,
                    verbose=0)
    epochs = [e for e in record.events if isinstance(e, tuple)]
    assert record.events[0] == "begin" and record.events[-1] == "end"
    assert [e[0] for e in epochs] == [0, 1, 2]
    assert epochs[0][1] == ["epsilon", "eval_return", "loss", "mean_q", "return", "steps"]
    assert record.events.count("step") == agent.steps == sum(history.history["steps"])
    assert record.model is agent.q_network and record.params["epochs"] == 3
    evaluations = history.history["eval_return"]
    assert math.isnan(evaluations[0]) and not math.isnan(evaluations[1]) and math.isnan(evaluations[2])


def test_stop_when_solved_stops_and_keeps_the_best_weights():
    agent = _chain_agent()
    stop = StopWhenSolved(threshold=1.0)
    history = train(agent, ChainEnv, episodes=400, callbacks=[stop], evaluate_every=5, evaluation_episodes=4,
                    verbose=0)
    assert stop.solved_episode is not None and len(history.history["return"]) == stop.solved_episode + 1 < 400
    assert evaluate(agent, ChainEnv, episodes=4, seed=1000).mean() == 1.0


def test_returns_to_go_and_random_baseline():
    np.testing.assert_allclose(returns_to_go([1.0, 0.0, 2.0], 0.5), [1.5, 1.0, 2.0])
    random_cartpole = random_returns("CartPole-v1", episodes=20, seed=0)
    assert 10 < random_cartpole.mean() < 40  # the well-known ≈ 22 of a coin-flipping policy


# ---------------------------------------------------------------- saving
def test_agent_saves_and_loads_like_a_glassnet_model(tmp_path):
    from glassnet.models import load_model
    agent = _chain_agent()
    train(agent, ChainEnv, episodes=20, evaluate_every=0, verbose=0)
    folder = agent.save(tmp_path / "agent")
    settings = json.loads((folder / "agent.json").read_text())
    assert settings["config"]["gamma"] == 0.9 and settings["steps"] == agent.steps
    network = load_model(folder / "q_network.glassnet")  # the Q-network is an ordinary glassnet model
    states = np.stack([one_hot(s) for s in range(5)])
    np.testing.assert_array_equal(network.predict(states, verbose=0), agent.q_values(states).numpy())
    loaded = DQNAgent.load(folder)
    assert torch.equal(loaded.q_values(states), agent.q_values(states))
    with torch.no_grad():
        assert torch.equal(loaded.target_network(torch.from_numpy(states)), agent.target_network(torch.from_numpy(states)))
    assert (loaded.steps, loaded.updates, loaded.gamma) == (agent.steps, agent.updates, 0.9)
    # it carries on learning with the saved Adam moments: the same step as the original agent takes
    batch = agent.buffer.sample(16)
    assert loaded.learn(batch)["loss"] == pytest.approx(agent.learn(batch)["loss"], rel=1e-6)
    assert torch.allclose(loaded.q_values(states), agent.q_values(states), atol=1e-6)
    with pytest.raises(DataFileError, match="agent.json and q_network.glassnet"):
        DQNAgent.load(tmp_path / "nothing")


def test_agent_takes_your_own_compiled_network():
    from glassnet.layers import Dense, Input
    from glassnet.models import Sequential
    from glassnet.optimizers import SGD
    network = Sequential([Input(shape=(5,)), Dense(2)])
    network.compile(optimizer=SGD(learning_rate=0.5), loss="mse")
    agent = DQNAgent(5, 2, network=network, learning_starts=1, batch_size=1, seed=0)
    assert agent.q_network is network and agent.optimizer is network.compiled.optimizer
    before = network(torch.from_numpy(one_hot(0))[None]).detach()
    agent.observe(one_hot(0), 1, 1.0, one_hot(1), True)  # terminal: the target is the reward, 1
    after = network(torch.from_numpy(one_hot(0))[None]).detach()
    # one SGD step on (Q(s0, right) − 1)²: its weight from the one-hot input and its bias each move by
    # 0.5 · 2 · (1 − q), so Q(s0, right) moves by twice that; Q(s0, left) stays
    q = before[0, 1].item()
    assert after[0, 1].item() == pytest.approx(q + 2 * 0.5 * 2 * (1 - q), abs=1e-5)
    assert after[0, 0].item() == pytest.approx(before[0, 0].item(), abs=1e-7)
