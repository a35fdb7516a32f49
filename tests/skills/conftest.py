"""A store of its own for each skills test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trajectory_miner.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A writable store of its own for one test."""
    with open_store(tmp_path / "m.duckdb") as opened:
        yield opened
