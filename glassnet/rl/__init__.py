"""glassnet.rl: reinforcement learning — an agent, an environment, a reward, and a value function.

The *agent* picks actions; the *environment* (a Gymnasium one, e.g. CartPole)
answers each action with a new state and a *reward*; the agent's only goal is
the long-run total of rewards. The *value function* V(s) says how much total
reward it can still expect from state s. A Deep Q-Network learns Q(s, a) — the
value of taking action a in s — with a glassnet model, and acts greedily on it.

>>> from glassnet.rl import DQNAgent, ChainEnv, train
>>> agent = DQNAgent(observation_size=5, n_actions=2, hidden=(8,), learning_starts=10, seed=0)
>>> history = train(agent, ChainEnv, episodes=2, evaluate_every=0, verbose=0)
>>> len(history.history['return'])
2
"""

from glassnet.rl.chain import ChainEnv, optimal_values
from glassnet.rl.dqn import DQNAgent, bellman_targets, double_dqn_targets, q_network
from glassnet.rl.plots import plot_episode_values, plot_returns, plot_value_map, save_gif
from glassnet.rl.policy import EpsilonGreedy, LinearDecay, greedy
from glassnet.rl.replay import ReplayBuffer, Transitions
from glassnet.rl.training import StopWhenSolved, evaluate, play_episode, random_returns, train
from glassnet.rl.value import cartpole_value_grid, episode_values, returns_to_go, state_values

__all__ = ["DQNAgent", "ReplayBuffer", "Transitions", "EpsilonGreedy", "LinearDecay", "greedy", "ChainEnv",
           "optimal_values", "bellman_targets", "double_dqn_targets", "q_network", "train", "evaluate",
           "play_episode", "random_returns", "StopWhenSolved", "state_values", "returns_to_go", "episode_values",
           "cartpole_value_grid", "plot_returns", "plot_episode_values", "plot_value_map", "save_gif"]
