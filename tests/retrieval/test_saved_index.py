"""The saved index: a reader starts from it, as it is only while the store is as it was saved."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from retrieval.builders import START, fixed_module_session, ingest, write_session

from trajectory_miner.hints import build_hints, hints_from_store
from trajectory_miner.retrieval import LiveIndex, MemoryIndex, StuckQuery, find_replays, list_patterns, search_sessions
from trajectory_miner.retrieval import saved as saved_module
from trajectory_miner.retrieval.reader import LocalSource
from trajectory_miner.retrieval.saved import current_index, file_stamp, load, save, saved_path
from trajectory_miner.retrieval.snapshot import Marks, Message
from trajectory_miner.store import open_store

QUERIES = (
    StuckQuery(
        description="the report script cannot import helpers",
        error_text="ModuleNotFoundError: No module named 'helpers'",
        recent_commands=["python scripts/report.py"],
    ),
    StuckQuery(description="npm start", error_text="Error: listen EADDRINUSE: address already in use :::3000"),
    StuckQuery(description="run the report script as a module from the repo root"),
)


def answers(index: MemoryIndex) -> list[object]:
    found: list[object] = [find_replays(index, q).model_dump() for q in QUERIES]
    found.append(search_sessions(index, "report helpers server", None, None, 10, 1500).model_dump())
    found.append(list_patterns(index, None, None, 1500).model_dump())
    found.append({k: v.model_dump() for k, v in build_hints(index).items()})
    found.append(sorted((sid, i.title, i.steps, i.errors, i.outcome) for sid, i in index.sessions.items()))
    return found


def fresh(database: Path) -> MemoryIndex:
    with open_store(database, read_only=True) as store:
        return MemoryIndex.build(store)


class CountingSource(LocalSource):
    """Reads here, counting the reads."""

    def __init__(self, database: Path) -> None:
        super().__init__(database)
        self.reads = 0

    def changes(self, known: Marks | None, wait_seconds: float) -> Iterator[Message]:
        self.reads += 1
        yield from super().changes(known, wait_seconds)

    def call(self, name: str, kwargs: dict[str, Any], *, writable: bool, wait_seconds: float) -> BaseModel:
        raise AssertionError("no store call expected")


def add_session(database: Path, number: int) -> None:
    sid = f"b0000000-0000-4000-8000-{number:012d}"
    calls = fixed_module_session(f"nightly_{number}")
    projects = database.parent / "new-projects"
    ingest(database, write_session(projects, sid, "Run the nightly report", calls, start=START + timedelta(days=9)))


def test_a_saved_index_loads_into_the_answers_of_the_index_it_was(planted: Path) -> None:
    built = fresh(planted)
    assert save(built, planted, file_stamp(planted))
    loaded = load(planted)
    assert loaded is not None
    index, stamp = loaded
    assert stamp == file_stamp(planted)
    assert answers(index) == answers(built)


def test_a_saved_index_is_answered_from_as_it_is_while_the_store_is_unchanged(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        expected = answers(current_index(store))
    source = CountingSource(planted)
    live = LiveIndex(planted, source=source, saved=True)
    with live.reading() as (index, note):
        assert answers(index) == expected
        assert note == ""
    assert source.reads == 0


def test_a_stale_saved_index_is_brought_up_to_date_before_it_answers(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        current_index(store)
    add_session(planted, 1)
    source = CountingSource(planted)
    live = LiveIndex(planted, source=source, saved=True)
    with live.reading() as (index, _):
        assert answers(index) == answers(fresh(planted))
    assert source.reads == 1
    # The index read from the store was saved again, stamped with the store as it is now.
    again = load(planted)
    assert again is not None and again[1] == file_stamp(planted)
    assert answers(again[0]) == answers(fresh(planted))


def test_a_writer_saves_the_index_with_the_stamp_its_store_keeps_once_closed(planted: Path) -> None:
    add_session(planted, 2)
    with open_store(planted) as store:
        hints = hints_from_store(store)
    loaded = load(planted)
    assert loaded is not None
    assert loaded[1] == file_stamp(planted)
    assert {k: v.model_dump() for k, v in build_hints(loaded[0]).items()} == {
        k: v.model_dump() for k, v in hints.items()
    }


def test_mining_again_updates_the_saved_index_and_the_hints_alike(planted: Path) -> None:
    with open_store(planted) as store:
        hints_from_store(store)
    add_session(planted, 3)
    with open_store(planted) as store:
        kept_hints = hints_from_store(store)
        built_hints = build_hints(MemoryIndex.build(store))
    assert kept_hints == built_hints


@pytest.mark.parametrize("spoil", ["other code", "other store", "writable by others", "damaged"])
def test_a_saved_index_this_reader_cannot_trust_is_ignored(
    planted: Path, spoil: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert save(fresh(planted), planted, file_stamp(planted))
    path = saved_path(planted)
    if spoil == "other code":
        monkeypatch.setattr(saved_module, "FORMAT", saved_module.FORMAT + 1)
    elif spoil == "other store":
        other = planted.with_name("other.duckdb")
        os.link(planted, other)
        os.replace(path, saved_path(other))
        assert load(other) is None
        return
    elif spoil == "writable by others":
        os.chmod(path, 0o666)
    else:
        path.write_bytes(path.read_bytes()[:1000])
    assert load(planted) is None
    source = CountingSource(planted)
    live = LiveIndex(planted, source=source, saved=True)
    with live.reading() as (index, _):
        assert answers(index) == answers(fresh(planted))
    assert source.reads == 1


def test_the_saved_file_is_private(planted: Path) -> None:
    assert save(fresh(planted), planted, None)
    assert saved_path(planted).stat().st_mode & 0o077 == 0


def test_a_reader_that_allows_it_leaves_a_small_catch_up_to_the_next_reader(planted: Path) -> None:
    with open_store(planted) as store:
        current_index(store)
    written = saved_path(planted).stat().st_mtime_ns
    add_session(planted, 4)
    with open_store(planted) as store:
        caught_up = answers(current_index(store, resave_small=False))
    assert saved_path(planted).stat().st_mtime_ns == written
    assert caught_up == answers(fresh(planted))
    # The next reader catches up from the file as it was, and saves what it read.
    with open_store(planted) as store:
        assert answers(current_index(store)) == caught_up
    loaded = load(planted)
    assert loaded is not None and loaded[1] == file_stamp(planted)
    assert answers(loaded[0]) == caught_up


def test_a_reader_that_allows_it_still_saves_a_large_catch_up(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(planted) as store:
        current_index(store)
    monkeypatch.setattr(saved_module, "RESAVE_AFTER", 0)
    add_session(planted, 5)
    with open_store(planted) as store:
        expected = answers(current_index(store, resave_small=False))
    loaded = load(planted)
    assert loaded is not None and loaded[1] == file_stamp(planted)
    assert answers(loaded[0]) == expected
