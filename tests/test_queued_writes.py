"""Queued writes applied in one child process: each stored once, in order, refusals reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from retrieval.builders import FIXED_SESSIONS, planted_store
from test_writer_lock import held_elsewhere

from trajectory_miner.queued_writes import apply_in_child
from trajectory_miner.store import StoreBusy, open_store


def notes(database: Path) -> list[str]:
    with open_store(database, read_only=True) as store:
        return [r[0] for r in store.query("SELECT note FROM feedback ORDER BY created_at, rowid")]


def test_queued_writes_are_applied_in_order_and_a_refused_one_is_reported(tmp_path: Path) -> None:
    database = planted_store(tmp_path / "home")
    writes = [
        ("record_feedback", {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": "first"}),
        ("record_feedback", {"target_id": "no-such-session", "verdict": "helpful", "note": "lost"}),
        ("record_feedback", {"target_id": FIXED_SESSIONS[1], "verdict": "harmful", "note": "second"}),
    ]

    outcomes = list(apply_in_child(database, writes, 5.0))

    assert [(o.index, o.applied) for o in outcomes] == [(0, True), (1, False), (2, True)]
    assert "no session" in outcomes[1].message
    assert notes(database) == ["first", "second"]


def test_a_busy_store_applies_nothing_and_says_so(tmp_path: Path) -> None:
    database = planted_store(tmp_path / "home")
    writes = [("record_feedback", {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": "later"})]
    with held_elsewhere(database), pytest.raises(StoreBusy):
        list(apply_in_child(database, writes, 0.2))
    assert notes(database) == []
