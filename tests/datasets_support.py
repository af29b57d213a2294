"""Fixtures shared by the dataset tests: a per-session cache folder in tmp (never the user's home)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory):
    """Point GLASSNET_CACHE at one tmp folder for the whole session (decompressed arrays are reused)."""
    path = tmp_path_factory.mktemp("glassnet_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSNET_CACHE", str(path))
        yield path


@pytest.fixture
def cache(session_cache, monkeypatch):
    """Per-test guard: GLASSNET_CACHE is the session's tmp cache."""
    monkeypatch.setenv("GLASSNET_CACHE", str(session_cache))
    return session_cache
