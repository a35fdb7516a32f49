"""Patterns mined from the recorded learning set state the cause as the real fixes show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.capture.upkeep import after_ingest
from trajectory_miner.config import Config
from trajectory_miner.mining import mine
from trajectory_miner.mining.items import Pattern
from trajectory_miner.store import open_store

LEARNING = Path(__file__).resolve().parents[1] / "fixtures" / "learning"
LABELS = LEARNING / "labels.json"

pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="the learning set is not recorded")


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Pattern], dict[str, str]]:
    """The patterns, and each session's transcript file name."""
    with open_store(tmp_path_factory.mktemp("learning") / "m.duckdb") as store:
        after_ingest(store, ingest_paths(store, sorted(LEARNING.glob("*.jsonl")), Config(), redact=lambda t: t))
        names = {sid: Path(path).name for sid, path in store.query("SELECT session_id, transcript_path FROM sessions")}
        return mine(store).patterns, names


def test_a_pattern_fixed_in_the_code_by_some_and_in_the_tests_by_others_names_the_code_fix(
    mined: tuple[list[Pattern], dict[str, str]],
) -> None:
    patterns, names = mined
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["sessions"]
    checked = 0
    for pattern in patterns:
        kinds = {labels[names[s]]["fix_kind"] for s in pattern.sessions if s in names}
        if "source_edit" in kinds:
            checked += 1
            assert "fixing the code" in pattern.root_cause_cluster, pattern.root_cause_cluster
            assert "changing the tests" not in pattern.root_cause_cluster
    assert checked >= 2
