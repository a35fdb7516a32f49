"""The server's work besides answering runs in the front's task group, and nothing queued is lost at the end."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread
import pytest
from retrieval.builders import FIXED_SESSIONS

from mcp_server import busy
from mcp_server.tasks import ServerTasks, serving
from trajectory_miner.paths import Paths
from trajectory_miner.retrieval import LiveIndex
from trajectory_miner.retrieval.live import at_once
from trajectory_miner.retrieval.reader import ChildSource
from trajectory_miner.retrieval.saved import saved_path
from trajectory_miner.store import open_store


def test_work_handed_over_from_a_worker_thread_runs_after_the_caller_returns() -> None:
    seen: list[str] = []
    caller_done = threading.Event()

    def job() -> None:
        seen.append("job waited" if caller_done.wait(10) else "job ran inside the caller")

    async def main() -> None:
        async with anyio.create_task_group() as group:
            tasks = ServerTasks(group)

            def caller() -> None:
                tasks.later(job)
                caller_done.set()

            await anyio.to_thread.run_sync(caller)

    anyio.run(main)
    assert seen == ["job waited"]


def test_work_handed_over_with_no_loop_around_runs_at_once() -> None:
    async def main() -> None:
        async with anyio.create_task_group() as group:
            tasks = ServerTasks(group)
            seen: list[int] = []
            tasks.later(lambda: seen.append(1))  # the loop's own thread: nowhere to hand it
            assert seen == [1]

    anyio.run(main)


def test_a_failing_job_is_logged_and_the_group_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def fails() -> None:
        raise OSError("disk full")

    async def main() -> None:
        async with anyio.create_task_group() as group:
            tasks = ServerTasks(group)
            await anyio.to_thread.run_sync(tasks.later, fails)
            await anyio.to_thread.run_sync(tasks.later, lambda: seen.append("next"))

    anyio.run(main)
    assert seen == ["next"]
    assert "disk full" in capsys.readouterr().err


def test_the_index_is_built_and_saved_in_the_group_and_the_index_lets_go_of_it_after(planted_home: Paths) -> None:
    live = LiveIndex(planted_home.database, source=ChildSource(planted_home.database), saved=True)
    savers: list[str] = []
    save = live._save  # noqa: SLF001

    def recorded(stamp: object) -> None:
        savers.append(threading.current_thread().name)
        save(stamp)  # type: ignore[arg-type]

    live._save = recorded  # type: ignore[method-assign]  # noqa: SLF001

    async def main() -> None:
        async with serving(live, warm=True):
            with anyio.fail_after(30):
                while not saved_path(planted_home.database).exists():
                    await anyio.sleep(0.05)

    anyio.run(main)
    assert savers and savers[0] != threading.current_thread().name
    assert live.later is at_once


def test_writes_queued_when_the_front_stops_get_a_last_try(
    planted_home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = planted_home
    monkeypatch.setattr(busy, "RETRY_S", 60.0)  # the queue's own task would wait past the end
    live = busy.patient_index(paths, ChildSource(paths.database))
    released = threading.Event()

    def write_while_busy() -> None:
        with open_store(paths.database):
            arguments = {"target_id": FIXED_SESSIONS[0], "verdict": "good", "note": "at the end"}
            live.call("record_feedback", arguments, writable=True, wait_seconds=0.1)
            assert live.pending() == 1
        released.set()

    async def main() -> None:
        async with serving(live):
            await anyio.to_thread.run_sync(write_while_busy)

    anyio.run(main)
    assert released.is_set() and live.pending() == 0
    with open_store(paths.database, read_only=True) as store:
        assert "at the end" in {r[0] for r in store.query("SELECT note FROM feedback")}
    assert live.tasks is None


def test_a_build_of_the_index_under_way_when_the_front_stops_is_ended(planted_home: Paths, tmp_path: Path) -> None:
    slow = tmp_path / "slow-reader"
    slow.write_text("#!/bin/sh\nexec sleep 600\n", encoding="utf-8")  # a reader that never answers
    slow.chmod(0o755)
    source = ChildSource(planted_home.database, python=str(slow))
    live = LiveIndex(planted_home.database, source=source)
    reading: list[anyio.abc.Process] = []

    async def main() -> None:
        async with serving(live, warm=True):
            with anyio.fail_after(30):
                while not source._running:  # noqa: SLF001
                    await anyio.sleep(0.05)
            reading.extend(source._running)  # noqa: SLF001

    anyio.run(main)
    assert [process.returncode for process in reading] == [-signal.SIGKILL]
