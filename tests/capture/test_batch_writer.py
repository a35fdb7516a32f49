from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.capture.batch_writer import BatchWriter, FileRow, Rows, merge_rows, table_rows
from trajectory_miner.store import Store, open_store
from trajectory_miner.transcript.records import ParsedBatch, SessionFacts


def test_text_that_is_not_valid_unicode_is_stored_escaped_with_the_rest_of_its_batch(tmp_path: Path) -> None:
    batch = ParsedBatch()
    batch.sessions["s"] = SessionFacts(session_id="s", title="bad \udcff byte", project="p")
    batch.sessions["t"] = SessionFacts(session_id="t", title="fine", project="p")
    with open_store(tmp_path / "m.duckdb") as store:
        writer = BatchWriter(store)
        writer.add("/t/s.jsonl", FileRow(offset=10, size=10), table_rows(batch), 10)
        writer.flush()
        rows = store.query("SELECT session_id, title FROM sessions ORDER BY session_id")
        offsets = store.query("SELECT path, offset_bytes FROM files")
    assert rows == [("s", "bad \\udcff byte"), ("t", "fine")]
    assert offsets == [("/t/s.jsonl", 10)]


def _facts_rows(facts: SessionFacts) -> Rows:
    batch = ParsedBatch()
    batch.sessions[facts.session_id] = facts
    return table_rows(batch)


def test_two_reads_of_a_session_pool_as_the_store_combines_them_and_times_are_stored_in_utc(tmp_path: Path) -> None:
    east = timezone(timedelta(hours=2))
    first = SessionFacts(
        session_id="s",
        cwd="/a",
        project="/a",
        title="old",
        version="1",
        started_at=datetime(2025, 1, 1, 12, tzinfo=east),
        ended_at=datetime(2025, 1, 1, 11, tzinfo=UTC),
    )
    second = SessionFacts(
        session_id="s",
        cwd="/b",
        project="/b",
        title="new",
        git_branch="main",
        agent_id="x",
        started_at=datetime(2025, 1, 1, 9, tzinfo=UTC),
        ended_at=datetime(2025, 1, 1, 12, tzinfo=UTC),
    )
    pooled = _facts_rows(first)
    merge_rows(pooled, _facts_rows(second))
    query = "SELECT cwd, title, version, git_branch, agent_id, started_at, ended_at FROM sessions"
    with open_store(tmp_path / "pooled.duckdb") as store:
        writer = BatchWriter(store)
        writer.add("/t/s.jsonl", FileRow(offset=1, size=1), pooled, 1)
        writer.flush()
        at_once = store.query(query)
    with open_store(tmp_path / "apart.duckdb") as store:
        for facts in (first, second):
            writer = BatchWriter(store)
            writer.add("/t/s.jsonl", FileRow(offset=1, size=1), _facts_rows(facts), 1)
            writer.flush()
        one_by_one = store.query(query)
    assert at_once == one_by_one
    cwd, title, version, branch, agent, started, ended = at_once[0]
    assert (cwd, title, version, branch, agent) == ("/a", "new", "1", "main", "x")
    assert started == datetime(2025, 1, 1, 9) and ended == datetime(2025, 1, 1, 12)


def test_a_forgotten_session_and_its_sidechains_are_not_written(tmp_path: Path) -> None:
    batch = ParsedBatch()
    for sid in ("gone", "gone/agent-1", "kept"):
        batch.sessions[sid] = SessionFacts(session_id=sid, project="p")
    with open_store(tmp_path / "m.duckdb") as store:
        store.execute("INSERT INTO forgotten_sessions VALUES ('gone', now()::TIMESTAMP)")
        writer = BatchWriter(store)
        writer.add("/t/s.jsonl", FileRow(offset=1, size=1), table_rows(batch), 1)
        writer.flush()
        stored = store.query("SELECT session_id FROM sessions")
    assert stored == [("kept",)]


def _step_rows(sid: str, result: str) -> Rows:
    from trajectory_miner.transcript.records import StepRecord

    batch = ParsedBatch()
    batch.sessions[sid] = SessionFacts(session_id=sid, project="p")
    batch.steps[(sid, "t1")] = StepRecord(
        session_id=sid, tool_use_id="t1", step_index=0, turn_index=0, tool_name="Bash", result_text=result
    )
    return table_rows(batch)


def test_a_held_session_s_records_replace_their_old_rows_and_a_new_one_s_are_only_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trajectory_miner.capture import batch_writer

    replaced: list[tuple[str, list[tuple[object, ...]]]] = []
    insert = batch_writer.insert_rows

    def spy(store: Store, table: str, rows: Any, on_conflict: str = "", keys: Any = None) -> None:
        if table == "steps":
            replaced.append((table, list(keys)))
        insert(store, table, rows, on_conflict, keys)

    monkeypatch.setattr(batch_writer, "insert_rows", spy)
    with open_store(tmp_path / "m.duckdb") as store:
        for result in ("first", "second"):
            writer = BatchWriter(store)
            rows = _step_rows("held", result)
            merge_rows(rows, _step_rows(f"new-{result}", result))
            writer.add(f"/t/{result}.jsonl", FileRow(offset=1, size=1), rows, 1)
            writer.flush()
        stored = store.query("SELECT session_id, result_text FROM steps ORDER BY session_id")
    assert replaced == [("steps", []), ("steps", [("held", "t1")])]
    assert stored == [("held", "second"), ("new-first", "first"), ("new-second", "second")]
