"""The `miner` server over a data home with planted stuck points."""

from __future__ import annotations

from pathlib import Path

import pytest
from retrieval.builders import planted_store

from trajectory_miner.paths import Paths, resolve


@pytest.fixture
def paths(isolated_home: Path) -> Paths:
    """The paths the server resolves from the test's environment."""
    return resolve()


@pytest.fixture
def planted_home(paths: Paths) -> Paths:
    """A data home whose store holds `builders.planted_store`."""
    planted_store(paths.home)
    return paths
