"""The server while another process writes the store: reads from memory, writes queued, spool caught up."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from hooks.simulate import wait_until
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from retrieval.builders import FIXED_SESSIONS, START, fixed_module_session, write_session

from mcp_server import busy
from trajectory_miner.capture.spool import SpoolEvent, append_event
from trajectory_miner.paths import Paths
from trajectory_miner.retrieval.reader import ChildSource
from trajectory_miner.store import open_store

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def with_client(paths: Paths, body: Callable[[Call], Awaitable[None]]) -> None:
    async def main() -> None:
        parameters = StdioServerParameters(
            command=sys.executable,
            args=["-m", "mcp_server"],
            env={"TRAJECTORY_MINER_HOME": str(paths.home), "PATH": os.environ.get("PATH", "")},
        )
        async with Client(parameters) as client:
            await body(client.call_tool)

    anyio.run(main)


def feedback_notes(paths: Paths) -> set[str]:
    with open_store(paths.database, read_only=True, wait_seconds=10.0) as store:
        return {r[0] for r in store.query("SELECT note FROM feedback")}


def test_while_a_writer_holds_the_store_reads_answer_from_memory_and_writes_are_queued(planted_home: Paths) -> None:
    paths = planted_home
    seen: dict[str, Any] = {}

    async def body(call: Call) -> None:
        warm = await call("search_sessions", {"query": "report"})
        assert not warm.is_error
        with open_store(paths.database) as store:  # a writer holds the lock and the file
            store.execute("INSERT INTO miner_state VALUES ('test:writing', 'yes')")
            seen["search"] = await call("search_sessions", {"query": "report"})
            seen["session"] = await call("get_session", {"session_id": FIXED_SESSIONS[0]})
            seen["feedback"] = await call(
                "record_feedback", {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": "while busy"}
            )
            assert "while busy" not in {r[0] for r in store.query("SELECT note FROM feedback")}
        # The writer let go: the queued verdict is applied while the server runs on.
        seen["stored"] = await anyio.to_thread.run_sync(
            lambda: wait_until(lambda: "while busy" in feedback_notes(paths))
        )
        seen["after"] = await call("search_sessions", {"query": "report"})

    with_client(paths, body)

    search, session, feedback = seen["search"], seen["session"], seen["feedback"]
    assert not search.is_error and search.structured_content["sessions"]
    assert "busy" in search.structured_content["note"] and "s ago" in search.structured_content["note"]
    assert not session.is_error
    assert session.structured_content["id"] == FIXED_SESSIONS[0]
    assert "only the headline" in session.structured_content["note"]
    assert not feedback.is_error
    assert "queued" in feedback.structured_content["note"]
    assert feedback.structured_content["verdict"] == "good"  # the alias is answered in the stored word
    assert seen["stored"]
    assert "busy" not in seen["after"].structured_content["note"]


def test_an_mcp_call_starts_the_catch_up_of_a_spooled_session(planted_home: Paths) -> None:
    paths = planted_home
    sid = "5p001ed0-0000-4000-8000-000000000001"
    transcript = write_session(
        paths.home / "late", sid, "Render the quarterly invoices", fixed_module_session("invoices"), start=START
    )
    append_event(paths.spool_dir, SpoolEvent(event="Stop", session_id=sid, transcript_path=str(transcript)))
    found: list[bool] = []

    async def body(call: Call) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result = await call("search_sessions", {"query": "quarterly invoices"})
            if not result.is_error and any(s["id"] == sid for s in result.structured_content["sessions"]):
                found.append(True)
                return
            await anyio.sleep(0.5)

    with_client(paths, body)
    assert found


def test_a_long_queue_is_applied_in_batches_each_under_its_own_hold_of_the_store(
    planted_home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = planted_home
    live = busy.patient_index(paths, ChildSource(paths.database))
    monkeypatch.setattr(busy, "FLUSH_BATCH", 3)
    holds: list[int] = []
    apply = busy.apply_in_child

    def counted(database: Path, writes: Any, wait_seconds: float) -> Any:
        holds.append(len(writes))
        return apply(database, writes, wait_seconds)

    monkeypatch.setattr(busy, "apply_in_child", counted)
    assert live.tasks is None  # no front around it: the queue waits for this test's flush
    with open_store(paths.database):  # the store is busy: every verdict is queued
        for n in range(7):
            arguments = {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": f"queued-{n}"}
            live._write("record_feedback", arguments, 0.1)  # noqa: SLF001
        assert live.pending() == 7

    assert live.flush(wait=True) == 7
    assert holds == [3, 3, 1]
    assert {f"queued-{n}" for n in range(7)} <= feedback_notes(paths)
