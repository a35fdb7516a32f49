"""The in-memory index follows the store: new and re-read sessions, scores, deletions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from retrieval.builders import (
    FIXED_SESSIONS,
    START,
    ingest,
    port_session,
    write_session,
)

from trajectory_miner.retrieval import MemoryIndex, StuckQuery, find_replays
from trajectory_miner.store import open_store

PORT_QUERY = StuckQuery(description="npm start", error_text="Error: listen EADDRINUSE: address already in use")


def test_a_session_ingested_after_the_build_is_found_after_an_update(planted: Path, isolated_home: Path) -> None:
    with open_store(planted, read_only=True) as store:
        index = MemoryIndex.build(store)
    sessions_before = len(index.sessions)
    new = "0e300000-0000-4000-8000-000000000001"
    path = write_session(
        isolated_home / "later",
        new,
        "Start the api",
        port_session(4000, fixed=True),
        cwd="/work/api",
        start=START + timedelta(days=40),
    )
    ingest(planted, path)
    with open_store(planted, read_only=True) as store:
        assert index.update(store)
    assert len(index.sessions) == sessions_before + 1
    hits = find_replays(index, StuckQuery(**{**PORT_QUERY.__dict__, "project": "api"})).hits
    assert hits[0].session_ids[0] == new


def test_a_session_read_again_replaces_its_documents_instead_of_adding_twice(
    planted: Path, isolated_home: Path
) -> None:
    with open_store(planted, read_only=True) as store:
        index = MemoryIndex.build(store)
    items_before = len(index.items)
    with open_store(planted) as store:
        store.execute("UPDATE sessions SET updated_at = now()::TIMESTAMP WHERE session_id = ?", [FIXED_SESSIONS[0]])
    with open_store(planted, read_only=True) as store:
        assert index.update(store)
    assert len(index.items) == items_before
    assert sum(1 for info in index.sessions.values() if info.session_id == FIXED_SESSIONS[0]) == 1
    assert index.item_bm25.dead_share > 0


def test_deleted_sessions_ask_for_a_rebuild(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        index = MemoryIndex.build(store)
    with open_store(planted) as store:
        store.execute("DELETE FROM sessions WHERE session_id = ?", [FIXED_SESSIONS[1]])
    with open_store(planted, read_only=True) as store:
        assert not index.update(store)
        rebuilt = MemoryIndex.build(store)
    assert FIXED_SESSIONS[1] not in rebuilt.sessions


def test_scores_stored_after_the_build_become_outcomes(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        index = MemoryIndex.build(store)
    assert index.sessions[FIXED_SESSIONS[0]].outcome == "unknown"
    with open_store(planted) as store:
        store.execute(
            "INSERT INTO scores VALUES (?, 'v1', 0.9, 'success', 0.8, 'heuristic', '{}', now()::TIMESTAMP)",
            [FIXED_SESSIONS[0]],
        )
    with open_store(planted, read_only=True) as store:
        assert index.update(store)
    assert index.sessions[FIXED_SESSIONS[0]].outcome == "success"
    query = StuckQuery(description="module", error_text="ModuleNotFoundError: No module named 'helpers'")
    assert "that session succeeded" in find_replays(index, query).hits[0].reasons


def test_an_update_with_nothing_new_changes_nothing(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        index = MemoryIndex.build(store)
        marks = index.marks
        assert index.update(store)
    assert index.marks == marks
    assert index.item_bm25.dead_share == 0
