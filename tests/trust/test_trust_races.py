"""Races between writers: `forget` against CLI `feedback` and MCP `record_feedback`.

A forget deletes rows, then copies the store into a fresh file and puts it in place. Every
writer holds the one store-wide writer lock, so a verdict either lands before the copy (and
is copied) or after the replace: every write that reported success is stored.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

import anyio
import pytest
from hooks.simulate import append_turn, wait_until
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from trajectory_miner.cli import main
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import open_store

FORGETS = 20
KEEPER = "66666666-aaaa-4bbb-8ccc-999999999999"


def _session(index: int) -> str:
    return f"66666666-aaaa-4bbb-8ccc-{index:012d}"


def _write_sessions(paths: Paths) -> list[str]:
    ids = [_session(i) for i in range(FORGETS)]
    for sid in [*ids, KEEPER]:
        transcript = paths.projects / "-work-race" / f"{sid}.jsonl"
        append_turn(transcript, sid, "/work/race", 0)
        append_turn(transcript, sid, "/work/race", 1, fail=True)
    return ids


def _stored_notes(paths: Paths) -> set[str]:
    with open_store(paths.database, read_only=True, wait_seconds=10.0) as store:
        return {r[0] for r in store.query("SELECT note FROM feedback WHERE target_id = ?", [KEEPER])}


class Writers:
    """The CLI and MCP feedback loops, each remembering the notes whose write reported success."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.stop = threading.Event()
        self.mcp_done = threading.Event()
        self.cli_ok: list[str] = []
        self.mcp_ok: list[str] = []
        self.mcp_queued = 0
        self.errors: list[str] = []

    def applied(self) -> bool:
        return set(self.mcp_ok) <= _stored_notes(self.paths)

    def cli_loop(self) -> None:
        env = {**os.environ, "TRAJECTORY_MINER_HOME": str(self.paths.home)}
        n = 0
        while not self.stop.is_set():
            note = f"cli-{n}"
            done = subprocess.run(
                [sys.executable, "-m", "trajectory_miner", "feedback", KEEPER, "good", "--note", note],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            if done.returncode == 0:
                self.cli_ok.append(note)
            n += 1

    def mcp_loop(self) -> None:
        anyio.run(self._mcp)

    async def _mcp(self) -> None:
        parameters = StdioServerParameters(
            command=sys.executable,
            args=["-m", "mcp_server"],
            env={"TRAJECTORY_MINER_HOME": str(self.paths.home), "PATH": os.environ.get("PATH", "")},
        )
        async with Client(parameters) as client:
            n = 0
            while not self.stop.is_set():
                note = f"mcp-{n}"
                result: Any = await client.call_tool(
                    "record_feedback", {"target_id": KEEPER, "verdict": "helpful", "note": note}
                )
                if result.is_error:
                    self.errors.append(result.content[0].text)
                else:
                    self.mcp_ok.append(note)
                    self.mcp_queued += "queued" in result.structured_content.get("note", "")
                n += 1
            # Queued verdicts are applied by the server once the store is free: keep it running until then.
            await anyio.to_thread.run_sync(
                lambda: wait_until(lambda: set(self.mcp_ok) <= _stored_notes(self.paths), 60)
            )
        self.mcp_done.set()


@pytest.mark.slow
def test_twenty_forgets_lose_no_verdict_that_reported_success(capsys: pytest.CaptureFixture[str]) -> None:
    paths = resolve()
    doomed = _write_sessions(paths)
    assert main(["ingest", "--quiet"]) == 0
    writers = Writers(paths)
    threads = [threading.Thread(target=writers.cli_loop), threading.Thread(target=writers.mcp_loop)]
    for thread in threads:
        thread.start()
    try:
        assert wait_until(lambda: bool(writers.cli_ok) and bool(writers.mcp_ok), 60)
        for sid in doomed:
            assert main(["forget", sid, "--yes", "--json"]) == 0
    finally:
        writers.stop.set()
        for thread in threads:
            thread.join(timeout=120)
    capsys.readouterr()

    assert writers.mcp_done.is_set()
    assert not writers.errors
    assert len(writers.cli_ok) >= 2 and len(writers.mcp_ok) >= 2
    stored = _stored_notes(paths)
    assert set(writers.cli_ok) - stored == set()
    assert set(writers.mcp_ok) - stored == set()
    with open_store(paths.database, read_only=True) as store:
        left = {r[0] for r in store.query("SELECT session_id FROM sessions")}
    assert left == {KEEPER}
