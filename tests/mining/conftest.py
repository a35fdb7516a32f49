"""Mining fixtures: a store of this test's own, holding the mining transcripts or nothing yet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mining.stores import ALL, MiningStore
from trajectory_miner.store import open_store


@pytest.fixture
def mining_store(tmp_path: Path) -> Iterator[MiningStore]:
    """Every mining fixture ingested and scored, in a store of this test's own."""
    with open_store(tmp_path / "m.duckdb") as store:
        found = MiningStore(store, {})
        found.add(ALL)
        yield found


@pytest.fixture
def empty_mining_store(tmp_path: Path) -> Iterator[MiningStore]:
    """A store of this test's own with nothing in it yet."""
    with open_store(tmp_path / "m.duckdb") as store:
        yield MiningStore(store, {})
