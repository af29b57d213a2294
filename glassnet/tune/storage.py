"""Where a search keeps its trials: Optuna's RDB storage, a SQLite file by default.

Several processes (``search(..., workers=N)``, or the same script started in several terminals) share
one study through it. Each running trial writes a heartbeat every ``heartbeat_interval`` seconds; a
trial whose worker died (killed, out of memory, machine lost) stops beating, the next worker that asks
for a trial marks it FAIL, and Optuna's retry callback queues a copy of it (same parameters) for
someone to run again. So a killed worker never leaves a trial RUNNING forever, nor a bogus COMPLETE.

>>> import tempfile, pathlib
>>> url = sqlite_url(pathlib.Path(tempfile.mkdtemp()) / 'study.db')
>>> url.startswith('sqlite:///') and url.endswith('study.db')
True
>>> open_storage(url).heartbeat_interval
10
"""

from __future__ import annotations

import warnings
from pathlib import Path

import optuna

try:  # Optuna >= 4.9 renamed the retry callback
    from optuna.storages import RetryHeartbeatStaleTrialCallback as _Retry
    _RETRY_ARGUMENT = "heartbeat_stale_trial_callback"
except ImportError:  # pragma: no cover - older Optuna
    from optuna.storages import RetryFailedTrialCallback as _Retry
    _RETRY_ARGUMENT = "failed_trial_callback"

#: seconds between heartbeats of a running trial (a dead worker's trial is failed after twice that)
HEARTBEAT_INTERVAL = 10
#: how many times a trial whose worker died is run again
MAX_RETRY = 2


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (absolute, so every worker finds the same file)."""
    return f"sqlite:///{Path(path).resolve()}"


def open_storage(url: str, heartbeat_interval: int = HEARTBEAT_INTERVAL,
                 grace_period: int | None = None) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage at ``url`` (any SQLAlchemy URL: ``sqlite:///...``, ``postgresql://...``,
    ``mysql://...``) with heartbeats and a retry of trials whose worker died.

    SQLite waits up to 60 s for a lock instead of failing at once when two workers write together.
    """
    engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None
    with warnings.catch_warnings():  # heartbeats are 'experimental' in Optuna; the warning says nothing to a learner
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
            grace_period=grace_period, **{_RETRY_ARGUMENT: _Retry(max_retry=MAX_RETRY)})
