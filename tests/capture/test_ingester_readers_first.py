"""The hooks' ingester lets readers see a stopped session before it scores it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.capture import ingester, spool
from trajectory_miner.capture.ingest import IngestReport
from trajectory_miner.capture.ingester import drain_spool, score_changed
from trajectory_miner.capture.spool import SpoolEvent
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import Store, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
SESSION = "22222222-aaaa-4bbb-8ccc-000000000002"


def stop(paths: Paths) -> None:
    """The Stop hook's line for the session."""
    transcript = paths.projects / "-work-demo" / f"{SESSION}.jsonl"
    event = SpoolEvent(event="Stop", session_id=SESSION, transcript_path=str(transcript), cwd="/work/demo")
    spool.append_event(paths.spool_dir, event)


@pytest.fixture
def paths() -> Paths:
    found = resolve()
    transcript = found.projects / "-work-demo" / f"{SESSION}.jsonl"
    transcript.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "spool_session_with_failing_bash.jsonl", transcript)
    stop(found)
    return found


def what_a_reader_sees(database: Path) -> tuple[int, int] | None:
    """The session's turns and score cards as a read-only open finds them (None: no store yet)."""
    if not database.exists():
        return None
    with open_store(database, read_only=True, wait_seconds=0) as store:
        turns = store.scalar("SELECT count(*) FROM turns WHERE session_id = ?", [SESSION])
        cards = store.scalar("SELECT count(*) FROM scores WHERE session_id = ?", [SESSION])
    return int(turns), int(cards)


@pytest.fixture
def before_each_write(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int] | None]:
    """What a reader opening the store sees just before each writable open of the ingester."""
    seen: list[tuple[int, int] | None] = []
    writable = ingester.open_store

    @contextmanager
    def watched(database: Path, *args: Any, **kwargs: Any) -> Iterator[Store]:
        seen.append(what_a_reader_sees(database))
        with writable(database, *args, **kwargs) as store:
            yield store

    monkeypatch.setattr(ingester, "open_store", watched)
    return seen


def test_a_reader_sees_the_session_stored_and_not_yet_scored_in_between(
    paths: Paths, before_each_write: list[tuple[int, int] | None]
) -> None:
    drain_spool(paths, Config(), quiet_seconds=0, after_ingest=score_changed, readers_first=0.0)

    assert before_each_write == [None, (3, 0)]
    assert what_a_reader_sees(paths.database) == (3, 1)
    assert not paths.database.with_name(paths.database.name + ".wal").exists()


def test_without_readers_first_the_session_is_scored_in_the_same_open(
    paths: Paths, before_each_write: list[tuple[int, int] | None]
) -> None:
    drain_spool(paths, Config(), quiet_seconds=0, after_ingest=score_changed)

    assert before_each_write == [None]
    assert what_a_reader_sees(paths.database) == (3, 1)


def test_a_round_that_stores_nothing_new_opens_the_store_once(
    paths: Paths, before_each_write: list[tuple[int, int] | None]
) -> None:
    calls: list[int] = []

    def count(store: Store, report: IngestReport) -> None:
        calls.append(len(report.session_ids))

    drain_spool(paths, Config(), after_ingest=count, readers_first=0.0)
    stop(paths)
    before_each_write.clear()

    drain_spool(paths, Config(), after_ingest=count, readers_first=0.0)

    assert calls == [1]
    assert len(before_each_write) == 1
