"""Queued writes applied in one child process: each stored once, in order, refusals reported."""

from __future__ import annotations

import pickle
from pathlib import Path

import anyio
import pytest
from retrieval.builders import FIXED_SESSIONS, planted_store

from tests.store.test_writer_lock import held_elsewhere
from trajectory_miner.queued_writes import Outcome, apply_in_child, outcomes
from trajectory_miner.store import StoreBusy, StoreError, open_store


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

    applied = list(anyio.run(apply_in_child, database, writes, 5.0))

    assert [(o.index, o.applied) for o in applied] == [(0, True), (1, False), (2, True)]
    assert "no session" in applied[1].message
    assert notes(database) == ["first", "second"]


def test_a_busy_store_applies_nothing_and_says_so(tmp_path: Path) -> None:
    database = planted_store(tmp_path / "home")
    writes = [("record_feedback", {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": "later"})]
    with held_elsewhere(database), pytest.raises(StoreBusy):
        list(anyio.run(apply_in_child, database, writes, 0.2))
    assert notes(database) == []


def test_a_child_that_died_part_way_still_tells_which_writes_it_stored() -> None:
    output = b"".join(pickle.dumps(m) for m in [("applied", 0), ("refused", 1, "no such skill"), ("applied", 2)])
    read = outcomes(output + pickle.dumps(("applied", 3))[:-2])
    seen: list[Outcome] = []
    with pytest.raises(StoreError, match="stopped early"):
        seen.extend(read)
    assert [(o.index, o.applied) for o in seen] == [(0, True), (1, False), (2, True)]
