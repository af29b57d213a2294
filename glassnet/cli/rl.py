"""``glassnet rl cartpole``: a DQN learns to balance the pole, and shows what it learned.

It trains until the greedy policy's mean return over 10 evaluation episodes reaches
CartPole-v1's "solved" threshold (475) or ``--episodes`` run out, keeps the best
evaluated Q-network, then scores it on 20 fresh episodes beside a random policy and
writes ``runs/<time>/``: the agent (``agent/``), ``history.csv``, ``metrics.json``,
``rl_returns.png`` (return over training), ``rl_episode_values.png`` (max-Q along an
episode), ``rl_value_map.png`` (V over pole angle × angular velocity) and, with
``--gif``, ``cartpole.gif``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console

from glassnet.io import atomic_write_bytes

console = Console()
app = typer.Typer(help="Reinforcement learning: an agent learns from rewards (a DQN on Gymnasium environments).",
                  no_args_is_help=True, add_completion=False)

ENV_ID = "CartPole-v1"
#: the settings `glassnet rl cartpole` trains with (measured in the README)
CARTPOLE_SETTINGS = dict(hidden=(128, 128), gamma=0.99, learning_rate=1e-3, batch_size=64, buffer_size=50_000,
                         learning_starts=500, train_every=1, tau=0.005, double_dqn=True, epsilon_start=1.0,
                         epsilon_end=0.05, epsilon_decay_steps=5_000)


@app.command("cartpole", help="Train a DQN on CartPole-v1 until it is solved (mean return ≥ 475), save the agent, "
                              "plots and (--gif) an animation in runs/<time>/.")
def cartpole(
    episodes: int = typer.Option(600, min=1, help="At most this many training episodes (it stops once solved)."),
    seed: int = typer.Option(0, help="Random seed: the same seed gives the same run."),
    gif: bool = typer.Option(False, "--gif", help="Also render 3 greedy episodes into cartpole.gif."),
    threshold: float = typer.Option(475.0, help="Stop once the greedy evaluation's mean return reaches this."),
    evaluate_every: int = typer.Option(10, min=1, help="Evaluate the greedy policy every N episodes."),
    output: Path = typer.Option(Path("runs"), help="Folder in which runs/<timestamp>/ is created."),
    verbose: int = typer.Option(1, min=0, max=2, help="0 silent, 1 progress, 2 one line per block of episodes."),
) -> None:
    from glassnet.cli.train import start_run_dir, write_history_csv
    from glassnet.rl import DQNAgent, StopWhenSolved, evaluate, random_returns, train

    import torch

    run_dir = start_run_dir(output)
    torch.set_num_threads(1)  # a tiny network: one thread is the fastest, and the run is bit-reproducible
    agent = DQNAgent(4, 2, seed=seed, **CARTPOLE_SETTINGS)
    stop = StopWhenSolved(threshold=threshold)
    started = time.perf_counter()
    history = train(agent, ENV_ID, episodes=episodes, callbacks=[stop], evaluate_every=evaluate_every,
                    evaluation_episodes=10, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - started
    scores, baseline = evaluate(agent, ENV_ID, episodes=20), random_returns(ENV_ID, episodes=20)
    agent.save(run_dir / "agent")
    write_history_csv(history.history, run_dir / "history.csv")
    results = {"environment": ENV_ID, "seed": seed, "episodes": len(history.history["return"]),
               "environment_steps": agent.steps, "updates": agent.updates, "training_seconds": round(seconds, 1),
               "solved_at_episode": None if stop.solved_episode is None else stop.solved_episode + 1,
               "best_evaluation": stop.best, "mean_return_20_episodes": float(scores.mean()),
               "random_policy_mean_return": float(baseline.mean()), "settings": agent.config}
    atomic_write_bytes(run_dir / "metrics.json", json.dumps(results, indent=2, default=list).encode())
    write_pictures(agent, history, run_dir, threshold, float(baseline.mean()), seed, gif)
    solved = "solved" if scores.mean() >= threshold else "not solved yet"
    console.print(f"[bold green]Mean return over 20 greedy episodes: {scores.mean():.1f}[/] ({solved}; a random "
                  f"policy gets {baseline.mean():.1f}) after {len(history.history['return'])} episodes, "
                  f"{agent.steps:,} steps, {seconds:.0f} s")
    console.print(f"Saved the agent, history.csv, metrics.json and the pictures in {run_dir}/")


def write_pictures(agent, history, run_dir: Path, threshold: float, random_return: float, seed: int,
                   gif: bool) -> None:
    """rl_returns.png, rl_episode_values.png, rl_value_map.png and (``gif``) cartpole.gif in ``run_dir``."""
    import gymnasium as gym

    from glassnet.rl import (cartpole_value_grid, episode_values, plot_episode_values, plot_returns,
                             plot_value_map, returns_to_go, save_gif)

    plot_returns(history, run_dir / "rl_returns.png", threshold=threshold, random_return=random_return,
                 title=f"DQN on {ENV_ID}: return per episode")
    env = gym.make(ENV_ID, render_mode="rgb_array" if gif else None)
    episode = episode_values(agent, env, seed=seed, record=gif)
    plot_episode_values(episode["values"], returns_to_go(episode["rewards"], agent.gamma),
                        run_dir / "rl_episode_values.png",
                        title=f"max-Q along a greedy episode (return {sum(episode['rewards']):.0f})")
    plot_value_map(cartpole_value_grid(agent), run_dir / "rl_value_map.png")
    if gif:
        frames = list(episode["frames"])
        for extra in (1, 2):
            frames += episode_values(agent, env, seed=seed + extra, record=True)["frames"]
        save_gif(frames[::2], run_dir / "cartpole.gif", fps=25)
    env.close()
