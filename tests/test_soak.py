"""Soak: eight busy sessions fire the real hooks while four readers keep opening the store.

Every turn must end up stored exactly once, and a reader may meet a busy store (and retry)
but never any other error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hooks.simulate import append_turn, payload, run_hook

from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.config import Config
from trajectory_miner.paths import resolve
from trajectory_miner.store import open_store

SESSIONS = 8
TURNS = int(os.environ.get("SOAK_TURNS", "200"))
READERS = 4
FAIL_EVERY = 7

READER = """
import json, sys, time
from pathlib import Path
from trajectory_miner.store import StoreBusy, StoreMissing, open_store

database, stop = Path(sys.argv[1]), Path(sys.argv[2])
seen = {"reads": 0, "busy": 0, "missing": 0, "errors": [], "went_back": 0}
last = 0
while not stop.exists():
    try:
        with open_store(database, read_only=True, wait_seconds=0.5) as store:
            turns = store.scalar("SELECT count(*) FROM turns")
        seen["reads"] += 1
        seen["went_back"] += turns < last
        last = turns
    except StoreBusy:
        seen["busy"] += 1
    except StoreMissing:
        seen["missing"] += 1
    except Exception as exc:
        seen["errors"].append(f"{type(exc).__name__}: {exc}")
    time.sleep(0.2)
print(json.dumps(seen))
"""


def run_session(index: int, projects: Path, env: dict[str, str], failures: list[str]) -> None:
    session = f"66666666-aaaa-4bbb-8ccc-{index:012d}"
    cwd = f"/work/soak-{index}"
    transcript = projects / f"-work-soak-{index}" / f"{session}.jsonl"
    events = [("SessionStart", -1)] + [("Stop", turn) for turn in range(TURNS)] + [("SessionEnd", -1)]
    for event, turn in events:
        if turn >= 0:
            append_turn(transcript, session, cwd, turn, fail=turn % FAIL_EVERY == 0)
        process = run_hook(event, payload(event, session, transcript, cwd), env)
        if process.returncode != 0 or process.stdout:
            failures.append(f"{event} {session}: {process.returncode} {process.stdout!r}")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_concurrent_sessions_and_readers_store_every_turn_exactly_once(tmp_path: Path) -> None:
    paths = resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_PLUGIN_DATA", "CLAUDE_PLUGIN_ROOT")}
    env["TRAJECTORY_MINER_PYTHON"] = sys.executable
    stop = tmp_path / "stop-readers"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(paths.database), str(stop)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(READERS)
    ]
    failures: list[str] = []
    started = time.monotonic()
    try:
        sessions = [
            threading.Thread(target=run_session, args=(i, paths.projects, env, failures)) for i in range(SESSIONS)
        ]
        for thread in sessions:
            thread.start()
        for thread in sessions:
            thread.join()
        hooks_seconds = time.monotonic() - started
    finally:
        stop.touch()
        seen = [json.loads(reader.communicate(timeout=60)[0].splitlines()[-1]) for reader in readers]

    final = drain_spool(paths, Config(), lock_wait=60, quiet_seconds=0)

    assert failures == []
    assert not final.locked_out and not final.busy
    assert not (paths.home / "hook-errors.log").exists()
    assert [name for name in os.listdir(paths.spool_dir) if name != "events.jsonl"] == []
    with open_store(paths.database, read_only=True) as store:
        per_session = store.query(
            "SELECT session_id, count(*), count(DISTINCT uuid), min(turn_index), max(turn_index) "
            "FROM turns GROUP BY session_id ORDER BY session_id"
        )
        steps = store.query("SELECT count(*), count(*) FILTER (WHERE is_error) FROM steps")
    assert per_session == [(f"66666666-aaaa-4bbb-8ccc-{i:012d}", TURNS, TURNS, 0, TURNS - 1) for i in range(SESSIONS)]
    failing_turns = len(range(0, TURNS, FAIL_EVERY))
    assert steps == [(SESSIONS * TURNS, SESSIONS * failing_turns)]
    assert [reader["errors"] for reader in seen] == [[]] * READERS
    assert all(reader["went_back"] == 0 for reader in seen)
    assert sum(reader["reads"] for reader in seen) > 0
    used = os.times()
    cpu = used.children_user + used.children_system
    print(f"hooks: {SESSIONS * (TURNS + 2)} runs in {hooks_seconds:.1f}s; hooks and readers used {cpu:.1f} CPU s")
    print(f"readers: {seen}; final drain: {final.rounds} rounds, {final.lines} lines")
