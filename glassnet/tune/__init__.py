"""glassnet.tune: hyper-parameter search with Optuna underneath ("caviar": train many models, keep the best).

``search(build, x, y, validation_data=...)`` runs trials of ``build(trial)`` (Optuna's trial API) or
``build(hp)`` (KerasTuner's ``hp.Int/Float/Choice/Boolean``), prunes hopeless ones with a callback,
shares the study between worker processes through a SQLite file, and returns a :class:`SearchResult`
(table, best parameters, best model, plots).

>>> from glassnet.tune import search, HyperParameters, PruningCallback, SearchResult
>>> callable(search)
True
"""

from glassnet.tune.hyperparameters import HyperParameters
from glassnet.tune.objective import Objective
from glassnet.tune.pruning import PruningCallback
from glassnet.tune.results import SearchResult
from glassnet.tune.search import WorkerError, make_pruner, search

__all__ = ["search", "HyperParameters", "PruningCallback", "SearchResult", "Objective", "WorkerError",
           "make_pruner"]
