"""The ingest of a few transcripts reads only their rows of `files`, however many the store holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.hooks.simulate import append_turn
from trajectory_miner.capture import ingest, spool
from trajectory_miner.capture.batch_writer import FileRow, load_file_rows
from trajectory_miner.capture.ingest import file_key, ingest_paths
from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.capture.spool import SpoolEvent
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import open_store

OTHERS = 30
RESUMED = "44444444-aaaa-4bbb-8ccc-000000000004"
CWD = "/work/resume"


def session_id(index: int) -> str:
    return f"55555555-aaaa-4bbb-8ccc-{index:012d}"


@pytest.fixture
def paths() -> Paths:
    return resolve()


@pytest.fixture
def others(paths: Paths) -> list[Path]:
    """Transcripts of other sessions, all stored already, with one or two turns each."""
    made = []
    for index in range(OTHERS):
        transcript = paths.projects / f"-work-p{index % 4}" / f"{session_id(index)}.jsonl"
        for turn in range(1 + index % 2):
            append_turn(transcript, session_id(index), f"/work/p{index % 4}", turn, fail=turn == 1)
        made.append(transcript)
    with open_store(paths.database) as store:
        ingest_paths(store, [paths.projects], Config())
    return made


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    """The offsets each ingest got from `load_file_rows`, as they were when read."""
    seen: list[dict[str, int]] = []

    def recorded(*args: Any, **kwargs: Any) -> dict[str, FileRow]:
        rows = load_file_rows(*args, **kwargs)
        seen.append({key: row.offset for key, row in rows.items()})
        return rows

    monkeypatch.setattr(ingest, "load_file_rows", recorded)
    return seen


def test_the_rows_of_the_named_transcripts_are_read_and_no_others(paths: Paths, others: list[Path]) -> None:
    chosen = [others[3], others[10]]
    with open_store(paths.database, read_only=True) as store:
        named = load_file_rows(store, [file_key(p) for p in chosen] + [str(paths.projects / "never-read.jsonl")])
        every = load_file_rows(store)
        none = load_file_rows(store, [])

    assert set(named) == {file_key(p) for p in chosen}
    assert all(named[file_key(p)].offset == p.stat().st_size > 0 for p in chosen)
    assert set(every) == {file_key(p) for p in others}
    assert none == {}


def test_a_named_transcripts_row_is_the_one_a_full_read_gives(paths: Paths, others: list[Path]) -> None:
    key = file_key(others[7])
    with open_store(paths.database, read_only=True) as store:
        named = load_file_rows(store, [key, key])
        every = load_file_rows(store)

    assert named == {key: every[key]}
    assert named[key].state and named[key].lines > 0


def test_the_ingester_reads_one_row_and_resumes_its_file_mid_way(
    paths: Paths, others: list[Path], loads: list[dict[str, int]]
) -> None:
    transcript = paths.projects / "-work-resume" / f"{RESUMED}.jsonl"
    append_turn(transcript, RESUMED, CWD, 0)
    append_turn(transcript, RESUMED, CWD, 1, fail=True)
    stop = SpoolEvent(event="Stop", session_id=RESUMED, transcript_path=str(transcript), cwd=CWD)
    spool.append_event(paths.spool_dir, stop)
    drain_spool(paths, Config(), quiet_seconds=0)
    stopped_at = transcript.stat().st_size
    append_turn(transcript, RESUMED, CWD, 2, fail=True)
    append_turn(transcript, RESUMED, CWD, 3)
    spool.append_event(paths.spool_dir, stop)
    loads.clear()

    drain_spool(paths, Config(), quiet_seconds=0)

    assert loads == [{file_key(transcript): stopped_at}]
    assert stored_records(paths.database, RESUMED) == read_at_once(transcript, paths.home.parent / "fresh")


def stored_records(database: Path, session: str) -> dict[str, list[tuple[Any, ...]]]:
    """A session's turns, steps and events as stored, without the times of writing."""
    queries = {
        "turns": "SELECT * FROM turns WHERE session_id = ? ORDER BY turn_index",
        "steps": "SELECT * FROM steps WHERE session_id = ? ORDER BY step_index",
        "events": "SELECT * FROM events WHERE session_id = ? ORDER BY uuid",
        "sessions": "SELECT * EXCLUDE (updated_at) FROM sessions WHERE session_id = ?",
    }
    with open_store(database, read_only=True) as store:
        return {table: store.query(sql, [session]) for table, sql in queries.items()}


def read_at_once(transcript: Path, home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The same session as a store that reads its whole transcript in one go keeps it."""
    database = home / "miner.duckdb"
    with open_store(database) as store:
        ingest_paths(store, [transcript], Config())
    return stored_records(database, RESUMED)
