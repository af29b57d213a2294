"""glassnet.rl on CartPole-v1 (Gymnasium): learning happens within a short budget, the pictures and the
CLI run. The full run to the 'solved' threshold is `glassnet rl cartpole` (measured in the README)."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
from typer.testing import CliRunner

from glassnet.cli import app
from glassnet.cli.rl import CARTPOLE_SETTINGS
from glassnet.rl import (DQNAgent, StopWhenSolved, cartpole_value_grid, episode_values, evaluate, random_returns,
                         train)


@pytest.mark.slow
def test_cartpole_quick_mode_learns_well_above_random():
    settings = {**CARTPOLE_SETTINGS, "epsilon_decay_steps": 2_000}
    agent = DQNAgent(4, 2, seed=0, **settings)
    stop = StopWhenSolved(threshold=150)  # quick mode: stop once the greedy policy is clearly good
    history = train(agent, "CartPole-v1", episodes=150, callbacks=[stop], evaluate_every=10,
                    evaluation_episodes=10, seed=0, verbose=0)
    random_mean = random_returns("CartPole-v1", episodes=20).mean()
    assert random_mean < 30
    assert stop.solved_episode is not None, history.history["eval_return"]
    # the kept weights (the best evaluation) also do well on 20 episodes they were not chosen on
    assert evaluate(agent, "CartPole-v1", episodes=20).mean() > 4 * random_mean


def test_value_grid_is_max_q_over_the_states_it_names():
    agent = DQNAgent(4, 2, hidden=(16,), seed=0)
    grid = cartpole_value_grid(agent, angles=[-0.1, 0.0, 0.2], angular_velocities=[-1.0, 1.0], cart_velocity=0.5)
    state = np.array([[0.0, 0.5, 0.2, -1.0]], dtype=np.float32)  # row: angular velocity -1, column: angle 0.2
    q = agent.q_values(state)[0].numpy()
    assert grid["values"].shape == (2, 3)
    assert grid["values"][0, 2] == pytest.approx(q.max(), abs=1e-6) and grid["best_action"][0, 2] == q.argmax()


def test_episode_values_follow_a_greedy_episode_and_record_frames():
    agent = DQNAgent(4, 2, hidden=(16,), seed=0)
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    episode = episode_values(agent, env, seed=0, record=True)
    steps = len(episode["rewards"])
    assert episode["states"].shape == (steps, 4) and len(episode["frames"]) == steps + 1
    assert episode["frames"][0].shape == (400, 600, 3)
    np.testing.assert_allclose(episode["values"], agent.q_values(episode["states"]).max(dim=1).values.numpy(), rtol=1e-5)
    assert (episode["actions"] == episode["q_values"].argmax(axis=1)).all()
    assert sum(episode["rewards"]) == evaluate(agent, "CartPole-v1", episodes=1, seed=0)[0]


def test_cli_rl_cartpole_writes_the_run(tmp_path):
    result = CliRunner().invoke(app, ["rl", "cartpole", "--episodes", "2", "--evaluate-every", "1", "--gif",
                                      "--output", str(tmp_path), "--verbose", "0"])
    assert result.exit_code == 0, result.output
    (run_dir,) = tmp_path.iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"agent", "history.csv", "metrics.json", "rl_returns.png",
                                                    "rl_episode_values.png", "rl_value_map.png", "cartpole.gif"}
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["episodes"] == 2 and metrics["solved_at_episode"] is None
    assert 10 < metrics["random_policy_mean_return"] < 40
    assert "Mean return over 20 greedy episodes" in result.output
    loaded = DQNAgent.load(run_dir / "agent")
    assert loaded.steps == metrics["environment_steps"]
