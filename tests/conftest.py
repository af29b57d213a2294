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


def _data_root() -> Path:
    env = os.environ.get("GLASSNET_DATA")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data"


if "GLASSNET_DATA" not in os.environ and _data_root().exists():
    # the library reads GLASSNET_DATA too: point it at the shared test data
    os.environ["GLASSNET_DATA"] = str(_data_root())


def require_data(*relative: str) -> Path:
    """Path of a shared data file/folder; skip locally or FAIL in CI when it is missing."""
    path = _data_root().joinpath(*relative)
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
