"""Scoring fixtures: the hand-written `scoring_*.jsonl` transcripts, ingested once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scoring.builders import TRANSCRIPTS

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.model import Session
from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard
from trajectory_miner.sessions import load_sessions
from trajectory_miner.store import open_store


@pytest.fixture(scope="session")
def scoring_sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Session]:
    """Every `scoring_<behaviour>.jsonl` fixture as a loaded session, keyed by behaviour."""
    db = tmp_path_factory.mktemp("scoring") / "m.duckdb"
    with open_store(db) as store:
        ingest_paths(store, sorted(TRANSCRIPTS.glob("scoring_*.jsonl")), Config(), redact=lambda text: text)
        ids = [r[0] for r in store.query("SELECT session_id FROM sessions")]
        sessions = load_sessions(store, ids)
    return {Path(s.transcript_path).stem.removeprefix("scoring_"): s for s in sessions}


@pytest.fixture
def card(scoring_sessions: dict[str, Session]) -> Callable[..., Scorecard]:
    """Score one fixture by its behaviour name."""

    def make(name: str, **kwargs: Any) -> Scorecard:
        return score_session(scoring_sessions[name], **kwargs)

    return make
