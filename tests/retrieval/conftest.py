"""Stores with planted stuck points for the retrieval tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from retrieval.builders import planted_store

from trajectory_miner.retrieval import MemoryIndex
from trajectory_miner.store import open_store


@pytest.fixture
def planted(isolated_home: Path) -> Path:
    """The database of `builders.planted_store` in the test's data home."""
    return planted_store(isolated_home)


@pytest.fixture
def planted_index(planted: Path) -> MemoryIndex:
    with open_store(planted, read_only=True) as store:
        return MemoryIndex.build(store)
