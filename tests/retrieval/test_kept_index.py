"""The kept retrieval index: documents stored once per session give the answers a fresh build gives."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from retrieval.builders import (
    START,
    Call,
    fixed_module_session,
    ingest,
    port_session,
    session_entries,
    stuck_module_session,
)

from trajectory_miner.hints import build_hints, hints_from_store
from trajectory_miner.retrieval import MemoryIndex, StuckQuery, find_replays, kept, search_sessions
from trajectory_miner.retrieval.reader import ChildSource
from trajectory_miner.retrieval.saved import current_index
from trajectory_miner.store import Store, open_store

# (session id, prompt, calls, project folder)
POOL: tuple[tuple[str, str, list[Call], str], ...] = (
    ("a0000000-0000-4000-8000-000000000001", "Run the first report", fixed_module_session("report_a"), "/work/app"),
    ("a0000000-0000-4000-8000-000000000002", "Run the second report", fixed_module_session("report_b"), "/work/app"),
    ("a0000000-0000-4000-8000-000000000003", "Export the job", stuck_module_session("export_a"), "/work/other"),
    ("a0000000-0000-4000-8000-000000000004", "Start the dev server", port_session(3000, fixed=True), "/work/web"),
    ("a0000000-0000-4000-8000-000000000005", "Start the api server", port_session(4000, fixed=True), "/work/api"),
    ("a0000000-0000-4000-8000-000000000006", "Start it once more", port_session(3000, fixed=False), "/work/web"),
)
QUERIES = (
    StuckQuery(description="npm start", error_text="Error: listen EADDRINUSE: address already in use :::3000"),
    StuckQuery(
        description="the report script cannot import helpers",
        error_text="ModuleNotFoundError: No module named 'helpers'",
        recent_commands=["python scripts/report_c.py"],
    ),
    StuckQuery(description="run the report script as a module from the repo root"),
)


def _write(projects: Path, number: int, whole: bool) -> Path:
    sid, prompt, calls, cwd = POOL[number]
    entries = session_entries(sid, prompt, calls, cwd, START + timedelta(days=number))
    lines = [json.dumps(e) for e in (entries if whole else entries[: max(2, len(entries) // 2)])]
    folder = projects / cwd.replace("/", "-")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sid}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _answers(index: MemoryIndex) -> list[object]:
    found: list[object] = [find_replays(index, q).model_dump() for q in QUERIES]
    found.append(search_sessions(index, "report helpers server", None, None, 10, 1500).model_dump())
    found.append({k: v.model_dump() for k, v in build_hints(index).items()})
    found.append(sorted((sid, i.title, i.steps, i.errors, i.outcome) for sid, i in index.sessions.items()))
    return found


def _from_scratch(database: Path, scratch: Path) -> MemoryIndex:
    """An index built from the steps alone, in a copy of the store without kept documents."""
    copy = scratch / "scratch.duckdb"
    shutil.copyfile(database, copy)
    with open_store(copy) as store:
        store.execute("DELETE FROM retrieval_docs")
    with open_store(copy, read_only=True) as store:
        return MemoryIndex.build(store)


def _keep(database: Path) -> int:
    with open_store(database) as store:
        return kept.refresh(store)


def _kept_rows(store: Store) -> dict[str, str]:
    return dict(store.query("SELECT session_id, version FROM retrieval_docs"))


# Each example ingests up to a dozen times: a failing one is reported as found, not shrunk.
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    order=st.permutations([n for n in range(len(POOL)) for _ in range(2)]),
    halves=st.lists(st.booleans(), min_size=len(POOL), max_size=len(POOL)),
    rounds=st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=12),
    keeps=st.lists(st.booleans(), min_size=12, max_size=12),
    saves=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_an_index_kept_across_ingests_answers_as_one_built_from_scratch(
    order: list[int], halves: list[bool], rounds: list[int], keeps: list[bool], saves: list[bool]
) -> None:
    # Each session appears twice in `order`: the first time as half its transcript (when
    # `halves` says so), the second time whole; sessions arrive in batches of `rounds`. When
    # `saves` says so, the index is the one saved beside the store at some earlier batch,
    # brought up to date (and saved again), instead of the one kept in memory.
    seen: set[int] = set()
    events: list[tuple[int, bool]] = []
    for number in order:
        if number in seen:
            events.append((number, True))
        elif halves[number]:
            events.append((number, False))
        seen.add(number)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        database, projects = scratch / "miner.duckdb", scratch / "projects"
        live: MemoryIndex | None = None
        at, turn = 0, 0
        while at < len(events):
            size = rounds[turn % len(rounds)]
            ingest(database, *[_write(projects, n, whole) for n, whole in events[at : at + size]])
            if keeps[turn % len(keeps)]:
                _keep(database)
            with open_store(database, read_only=True) as store:
                if saves[turn % len(saves)]:
                    live = current_index(store)
                elif live is None or not live.update(store):
                    live = MemoryIndex.build(store)
            at, turn = at + size, turn + 1
        assert live is not None
        assert _answers(live) == _answers(_from_scratch(database, scratch))


def test_refresh_stores_each_session_once_and_again_only_when_it_changed(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        sessions = {r[0] for r in store.query("SELECT session_id FROM sessions")}
    assert _keep(planted) == len(sessions)
    assert _keep(planted) == 0
    changed = sorted(sessions)[0]
    with open_store(planted) as store:
        store.execute("UPDATE sessions SET updated_at = now()::TIMESTAMP WHERE session_id = ?", [changed])
        assert kept.stale_ids(store) == [changed]
        assert kept.refresh(store) == 1
        assert set(_kept_rows(store)) == sessions


def test_documents_of_an_older_version_are_worked_out_again(planted: Path) -> None:
    _keep(planted)
    with open_store(planted) as store:
        store.execute("UPDATE retrieval_docs SET version = '0.0'")
        assert kept.refresh(store) == len(_kept_rows(store))
        assert set(_kept_rows(store).values()) == {kept.VERSION}


def test_documents_of_a_session_the_store_no_longer_holds_are_dropped(planted: Path) -> None:
    _keep(planted)
    with open_store(planted) as store:
        gone = sorted(_kept_rows(store))[0]
        for table in ("steps", "turns", "events", "responses", "sessions"):
            store.execute(f"DELETE FROM {table} WHERE session_id = ?", [gone])
        kept.refresh(store)
        assert gone not in _kept_rows(store)


def test_kept_documents_are_read_instead_of_the_steps(planted: Path) -> None:
    _keep(planted)
    with open_store(planted) as store:
        # A kept title that the steps could not give shows the index read the kept row.
        store.execute("UPDATE retrieval_docs SET title = 'kept ' || title")
    with open_store(planted, read_only=True) as store:
        titles = {info.title for info in MemoryIndex.build(store).sessions.values()}
    assert titles and all(title.startswith("kept ") for title in titles)


@pytest.mark.parametrize("keep_first", [False, True])
def test_hints_from_kept_documents_are_the_hints_from_the_steps(planted: Path, keep_first: bool) -> None:
    if keep_first:
        _keep(planted)
    with open_store(planted, read_only=True) as store:
        from_store = hints_from_store(store)
        full = build_hints(MemoryIndex.build(store))
    assert from_store == full


def test_a_child_process_hands_over_kept_documents_that_answer_alike(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        worked_out = MemoryIndex.build(store)
    _keep(planted)
    from_child = MemoryIndex.from_messages(ChildSource(planted).changes(None, 3.0))
    assert _answers(from_child) == _answers(worked_out)
