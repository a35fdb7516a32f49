"""The live index: read only when the database changed, and still answer while it is locked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import anyio.to_thread
import pytest
from retrieval.builders import FIXED_SESSIONS

from trajectory_miner.retrieval import BadRequest, FeedbackReceipt, LiveIndex, MemoryIndex, reader
from trajectory_miner.retrieval.reader import ChildSource
from trajectory_miner.store import StoreBusy, StoreError, StoreMissing

HOLD = """
import duckdb, sys
connection = duckdb.connect(sys.argv[1])
if sys.argv[2] == "change":
    connection.execute("INSERT INTO feedback VALUES ('F-x', 'x', 'session', 'helpful', '', now()::TIMESTAMP)")
    connection.execute("CHECKPOINT")
print("held", flush=True)
sys.stdin.read()
"""


@contextmanager
def held(database: Path, change: bool = False) -> Iterator[None]:
    """Another process holding the database's write lock (as the ingester does), until the block ends."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database), "change" if change else "keep"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None and process.stdin is not None
        try:
            assert process.stdout.readline().strip() == "held"
            yield
        finally:
            process.stdin.close()
            process.wait(timeout=30)


@pytest.fixture
def silent_reader(tmp_path: Path) -> str:
    """A store reader that never answers."""
    script = tmp_path / "silent-reader"
    script.write_text("#!/bin/sh\nexec sleep 600\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def sessions_of(live: LiveIndex) -> tuple[int, str]:
    with live.reading() as (index, note):
        return len(index.sessions), note


def test_an_unchanged_database_is_answered_from_memory_even_while_locked(planted: Path) -> None:
    live = LiveIndex(planted, wait_seconds=0.1, first_wait_seconds=0.1)
    assert sessions_of(live) == (8, "")
    with held(planted):
        assert sessions_of(live) == (8, "")


def test_a_database_that_changed_under_a_lock_is_answered_from_the_last_index_with_a_note(
    planted: Path,
) -> None:
    live = LiveIndex(planted, wait_seconds=0.1, first_wait_seconds=0.1)
    with live.reading() as (first, _):
        pass
    with held(planted, change=True), live.reading() as (index, note):
        assert index is first
        assert note.startswith("the store is busy")
    with live.reading() as (index, note):
        assert note == ""
        assert index.feedback == {"x": (1, 0)}


def test_a_locked_database_with_no_index_yet_is_a_clear_busy_error(planted: Path) -> None:
    live = LiveIndex(planted, wait_seconds=0.1, first_wait_seconds=0.1)
    with held(planted), pytest.raises(StoreBusy, match="busy.*try again"), live.reading():
        pass


def test_a_missing_database_is_a_clear_error_and_forgets_the_old_index(planted: Path) -> None:
    live = LiveIndex(planted, wait_seconds=0.1, first_wait_seconds=0.1)
    assert sessions_of(live)[0] == 8
    planted.unlink()
    with pytest.raises(StoreMissing, match="trajectory-miner ingest"), live.reading():
        pass


def test_every_refresh_is_reported_to_the_listener(planted: Path) -> None:
    seen: list[int] = []

    def listener(index: MemoryIndex) -> None:
        seen.append(len(index.sessions))

    live = LiveIndex(planted, on_refresh=listener)
    sessions_of(live)
    sessions_of(live)
    assert seen == [8]


def test_store_calls_run_in_a_child_process_and_report_busy_when_the_store_is_held(planted: Path) -> None:
    live = LiveIndex(planted, source=ChildSource(planted), wait_seconds=0.1, first_wait_seconds=0.1)
    receipt = live.call(
        "record_feedback", {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": None}, writable=True
    )
    assert isinstance(receipt, FeedbackReceipt) and receipt.target_kind == "session"
    with pytest.raises(BadRequest, match="no session matches 'nope'"):
        live.call("session_detail", {"session_id": "nope", "detail": "brief", "from_step": 0, "budget": 500})
    with held(planted), pytest.raises(StoreBusy, match="busy"):
        live.call("record_feedback", {"target_id": "x", "verdict": "helpful", "note": None}, writable=True)


def test_an_index_read_through_a_child_process_equals_one_read_here(planted: Path) -> None:
    here = LiveIndex(planted)
    there = LiveIndex(planted, source=ChildSource(planted))
    with here.reading() as (local, _), there.reading() as (child, _):
        assert local.marks == child.marks
        assert set(local.sessions) == set(child.sessions)
        assert sorted(map(repr, local.items.values())) == sorted(map(repr, child.items.values()))
    with held(planted, change=True), there.reading() as (_, note):
        assert note.startswith("the store is busy")


def test_a_child_read_from_a_servers_worker_thread_runs_in_its_event_loop(planted: Path) -> None:
    async def read_in_a_worker() -> tuple[MemoryIndex, MemoryIndex]:
        def both() -> tuple[MemoryIndex, MemoryIndex]:
            with (
                LiveIndex(planted).reading() as (local, _),
                LiveIndex(planted, source=ChildSource(planted)).reading() as (
                    child,
                    _,
                ),
            ):
                return local, child

        return await anyio.to_thread.run_sync(both)

    local, child = anyio.run(read_in_a_worker)
    assert local.marks == child.marks
    assert sorted(map(repr, local.items.values())) == sorted(map(repr, child.items.values()))


def test_a_child_that_stops_before_answering_is_a_clear_error(planted: Path) -> None:
    source = ChildSource(planted, python="/bin/false")  # exits at once, saying nothing
    with pytest.raises(StoreError, match="stopped early: no output"):
        list(source.changes(None, 0.1))


def _children() -> set[int]:
    """This process's child processes, live or not yet reaped."""
    found: set[int] = set()
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        found |= {int(pid) for pid in listing.read_text().split()}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the children from /proc")
def test_a_reader_that_stops_part_way_leaves_no_child_behind(planted: Path) -> None:
    source = ChildSource(planted)
    before = _children()
    messages = source.changes(None, 0.1)
    next(messages)
    messages.close()
    assert _children() == before


def test_stopping_the_reads_kills_the_child_and_the_read_fails_clearly(planted: Path, silent_reader: str) -> None:
    source = ChildSource(planted, python=silent_reader)
    live = LiveIndex(planted, source=source)

    async def main() -> BaseException | None:
        async with anyio.create_task_group() as group:
            failure: list[BaseException] = []

            def read() -> None:
                try:
                    with live.reading():
                        pass
                except StoreError as exc:
                    failure.append(exc)

            group.start_soon(anyio.to_thread.run_sync, read)
            with anyio.fail_after(30):
                while not source._running:  # noqa: SLF001
                    await anyio.sleep(0.05)
            live.stop_reading()
        return failure[0] if failure else None

    assert isinstance(anyio.run(main), StoreError)


def test_a_child_that_sends_nothing_for_too_long_is_a_clear_error(
    planted: Path, silent_reader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_EXIT_WAIT_S", 0.5)
    monkeypatch.setattr(reader, "CHILD_TIMEOUT_S", 0.5)
    with pytest.raises(StoreError, match="sent nothing"):
        list(ChildSource(planted, python=silent_reader).changes(None, 0.1))
