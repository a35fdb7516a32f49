"""Stores for the report tests: the small known corpus, and the real-CLI scenario transcripts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.report.corpus import SCENARIOS, build_small_store
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.mining import mine
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.store import open_store


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    """The database of the small corpus (see `corpus.py`)."""
    return build_small_store(tmp_path / "small.duckdb", tmp_path / "projects")


@pytest.fixture(scope="session")
def scenario_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real-CLI scenario transcripts ingested, scored and mined."""
    files = sorted(SCENARIOS.glob("*.jsonl"))
    if not files:
        pytest.skip("no scenario transcripts in tests/fixtures/scenarios yet")
    database = tmp_path_factory.mktemp("scenarios") / "miner.duckdb"
    with open_store(database) as store:
        ingest_paths(store, files, Config(), redact=lambda text: text)
        rescore_sessions(store)
        mine(store)
    return database


@pytest.fixture
def scenario_home(scenario_database: Path, isolated_home: Path) -> Path:
    """A data home holding a copy of the scenario store."""
    isolated_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scenario_database, isolated_home / "miner.duckdb")
    return isolated_home
