"""Pictures of a reinforcement-learning run: returns over training, the value along an episode, the
CartPole value map, and a GIF of the agent playing. PNGs through matplotlib (Agg), GIFs through Pillow.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), 'returns.png')
>>> plot_returns({'return': [10.0, 30.0, 20.0], 'eval_return': [float('nan'), 25.0, float('nan')]}, path)
>>> os.path.getsize(path) > 0
True
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from glassnet.io import atomic_path
from glassnet.plots import plt, save_figure  # files (Agg), or inline figures inside a notebook kernel


def _save(fig, path: str | Path) -> None:
    fig.tight_layout()
    save_figure(fig, path)


def plot_returns(history: Any, path: str | Path, threshold: float | None = None, random_return: float | None = None,
                 title: str = "Episode return over training") -> None:
    """Each training episode's return (light), its running mean over 20 episodes, the greedy evaluations
    (dots), and optionally the 'solved' threshold and a random policy's mean return."""
    logs = getattr(history, "history", history)
    returns = np.asarray(logs["return"], dtype=float)
    episodes = np.arange(1, len(returns) + 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(episodes, returns, color="tab:blue", alpha=0.3, label="return (ε-greedy, training)")
    window = min(20, len(returns))
    running = np.convolve(returns, np.ones(window) / window, mode="valid")
    ax.plot(episodes[window - 1:], running, color="tab:blue", label=f"mean of last {window} episodes")
    evaluations = np.asarray(logs.get("eval_return", [math.nan] * len(returns)), dtype=float)
    seen = ~np.isnan(evaluations)
    if seen.any():
        ax.plot(episodes[seen], evaluations[seen], "o", color="tab:green", label="greedy evaluation (mean)")
    if threshold is not None:
        ax.axhline(threshold, color="tab:red", linestyle="--", label=f"solved ({threshold:g})")
    if random_return is not None:
        ax.axhline(random_return, color="gray", linestyle=":", label=f"random policy ({random_return:.0f})")
    ax.set_xlabel("episode")
    ax.set_ylabel("return (total reward)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_episode_values(values: Sequence[float], returns: Sequence[float], path: str | Path,
                        title: str = "max-Q along one greedy episode") -> None:
    """V(s_t) = max_a Q(s_t, a) at each step of an episode beside the discounted return that followed.

    >>> import os, tempfile
    >>> plot_episode_values([1.0, 0.5], [0.9, 0.5], os.path.join(tempfile.mkdtemp(), 'v.png'))
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(len(values))
    ax.plot(steps, values, label="V(s) = max_a Q(s, a): the agent's prediction")
    ax.plot(steps, returns, "--", label="discounted return that actually followed (none after the episode ends)")
    ax.set_xlabel("step of the episode")
    ax.set_ylabel("value")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)


def plot_value_map(grid: dict[str, np.ndarray], path: str | Path,
                   title: str = "CartPole: V(s) = max_a Q(s, a), cart at rest in the centre") -> None:
    """A heat map of V over pole angle × angular velocity (from ``cartpole_value_grid``), with the line
    where the greedy action switches between pushing left and pushing right.

    >>> import os, tempfile
    >>> grid = {'values': np.ones((2, 3)), 'best_action': np.array([[0, 0, 1], [0, 1, 1]]),
    ...         'angles': np.array([-0.1, 0.0, 0.1]), 'angular_velocities': np.array([-1.0, 1.0])}
    >>> plot_value_map(grid, os.path.join(tempfile.mkdtemp(), 'map.png'))
    """
    degrees = np.degrees(grid["angles"])
    velocities = grid["angular_velocities"]
    fig, ax = plt.subplots(figsize=(6.5, 5))
    image = ax.pcolormesh(degrees, velocities, grid["values"], shading="auto", cmap="viridis")
    fig.colorbar(image, ax=ax, label="V(s): expected discounted return")
    actions = grid["best_action"]
    if actions.min() != actions.max() and min(actions.shape) > 1:
        ax.contour(degrees, velocities, actions, levels=[0.5], colors="white", linewidths=1.5)
        rows, cols = np.indices(actions.shape)
        for action, words in ((0, "push left"), (1, "push right")):  # name each side of the line
            where = actions == action
            ax.text(degrees[int(np.median(cols[where]))], velocities[int(np.median(rows[where]))], words,
                    color="white", fontsize=9, ha="center", va="center", weight="bold")
        ax.text(0.02, 0.02, "white line: where the greedy action switches", transform=ax.transAxes,
                color="white", fontsize=8)
    ax.set_xlabel("pole angle (degrees, + leans right)")
    ax.set_ylabel("pole angular velocity (rad/s)")
    ax.set_title(title, fontsize=10)
    _save(fig, path)


def save_gif(frames: Sequence[np.ndarray], path: str | Path, fps: int = 30, scale: float = 0.5) -> None:
    """Write RGB frames (H, W, 3 uint8, e.g. from ``render_mode='rgb_array'``) as a looping GIF.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'a.gif')
    >>> save_gif([np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8)], path, scale=1.0)
    >>> os.path.getsize(path) > 0
    True
    """
    from PIL import Image
    images = [Image.fromarray(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    if scale != 1.0:
        size = (max(1, int(images[0].width * scale)), max(1, int(images[0].height * scale)))
        images = [image.resize(size) for image in images]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)


__all__ = ["plot_returns", "plot_episode_values", "plot_value_map", "save_gif"]
