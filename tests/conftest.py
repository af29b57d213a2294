"""Shared fixtures. Real data lives in $GLASSNET_DATA (CI: ../shared/data).

In CI (``CI=true``) a test whose data is missing fails instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from glassnet.naming import reset_names

REPO = Path(__file__).resolve().parents[1]

# the ported Keras programs run as scripts (tests/test_keras_programs.py), never imported by pytest
collect_ignore_glob = ["keras_programs/*", "fixtures/*"]  # programs and fixture makers, not tests


def data_root() -> Path:
    """The shared test data folder: $GLASSNET_DATA as an absolute path (a relative one is taken from the
    working directory), else ../shared/data beside the repository."""
    env = os.environ.get("GLASSNET_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return REPO.parent / "shared" / "data"


# a fixed thread count: tests compare runs bit for bit, and the two xdist workers load the machine
# (the adaptive choice is tested in tests/test_threads.py)
os.environ.setdefault("GLASSNET_THREADS", "torch")

if "GLASSNET_DATA" in os.environ or data_root().exists():
    # Resolved once, here: the library reads GLASSNET_DATA too, also in the CLI runs of the README tests,
    # which work in other folders, where a relative '../shared/data' would name another place.
    os.environ["GLASSNET_DATA"] = str(data_root())


def require_data(*relative: str) -> Path:
    """Path of a shared data file/folder; skip locally or FAIL in CI when it is missing."""
    path = data_root().joinpath(*relative)
    if not path.exists():
        message = f"test data missing: {path} (set GLASSNET_DATA to the shared data folder)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def data_dir() -> Path:
    """The root of the shared test data."""
    return require_data()


@pytest.fixture(autouse=True)
def _fresh_state():
    """Each test starts with fresh automatic layer names and a fixed seed."""
    reset_names()
    torch.manual_seed(0)
    yield
