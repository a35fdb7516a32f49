"""Draining the spool into the store with the real ingest, under the single-writer lock."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from trajectory_miner.capture import ingester, quarantine, spool
from trajectory_miner.capture.ingest import IngestReport, ingest_paths
from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.capture.spool import SpoolEvent
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import Store, StoreError, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
FAILING = "22222222-aaaa-4bbb-8ccc-000000000002"
WITH_SUBAGENT = "33333333-aaaa-4bbb-8ccc-000000000003"
HOLD_DATABASE = """
import duckdb, sys
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def paths() -> Paths:
    found = resolve()
    found.spool_dir.mkdir(parents=True)
    return found


@pytest.fixture
def failing_session(paths: Paths) -> Path:
    """The three-turn session whose second Bash call fails, where Claude Code would keep it."""
    target = paths.projects / "-work-demo" / f"{FAILING}.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "spool_session_with_failing_bash.jsonl", target)
    return target


@pytest.fixture
def subagent_session(paths: Paths) -> Path:
    """A one-turn session whose subagent ran one more turn in its own transcript."""
    folder = paths.projects / "-work-other"
    shutil.copytree(FIXTURES / "spool_project_with_subagent", folder)
    return folder / f"{WITH_SUBAGENT}.jsonl"


def stop(transcript: Path, session: str) -> SpoolEvent:
    return SpoolEvent(event="Stop", session_id=session, transcript_path=str(transcript), cwd="/work/demo")


def counts(paths: Paths) -> dict[str, int]:
    with open_store(paths.database, read_only=True) as store:
        return {table: int(store.scalar(f"SELECT count(*) FROM {table}")) for table in ("sessions", "turns", "steps")}


def test_a_drain_stores_the_sessions_the_spool_points_at(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    result = drain_spool(paths, Config())

    assert (result.locked_out, result.busy, result.lines, result.transcripts) == (False, False, 1, 1)
    assert result.ingest.turns == 3 and result.ingest.steps == 3 and result.ingest.tool_errors == 1
    with open_store(paths.database, read_only=True) as store:
        turns = store.query("SELECT turn_index, prompt FROM turns WHERE session_id = ? ORDER BY 1", [FAILING])
        failed = store.query("SELECT tool_use_id, exit_code, error_signature FROM steps WHERE is_error")
    assert turns == [(0, "Prompt number 0"), (1, "Prompt number 1"), (2, "Prompt number 2")]
    [(tool_use_id, exit_code, signature)] = failed
    assert tool_use_id == f"toolu_{FAILING}-0001" and exit_code == 1 and signature


def test_a_subagents_transcript_is_stored_beside_its_session(paths: Paths, subagent_session: Path) -> None:
    subagent = subagent_session.with_suffix("") / "subagents" / "agent-sub1.jsonl"
    spool.append_event(
        paths.spool_dir,
        SpoolEvent(
            event="SubagentStop",
            session_id=WITH_SUBAGENT,
            transcript_path=str(subagent_session),
            agent_transcript_path=str(subagent),
        ),
    )

    drain_spool(paths, Config())

    with open_store(paths.database, read_only=True) as store:
        sessions = store.query("SELECT session_id, is_sidechain FROM sessions ORDER BY 1")
    assert sessions == [(WITH_SUBAGENT, False), (f"{WITH_SUBAGENT}/agent-sub1", True)]


def test_draining_the_same_events_again_stores_nothing_twice(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    drain_spool(paths, Config(), quiet_seconds=0)
    before = counts(paths)

    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    again = drain_spool(paths, Config(), quiet_seconds=0)

    assert again.lines == 1 and again.ingest.turns == 0
    assert counts(paths) == before == {"sessions": 1, "turns": 3, "steps": 3}


def test_rotated_files_stay_until_they_are_quiet(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    kept = drain_spool(paths, Config(), quiet_seconds=3600)
    assert (kept.removed_files, kept.kept_files) == (0, 1)
    assert not spool.has_new_lines(paths.spool_dir)

    removed = drain_spool(paths, Config(), quiet_seconds=0)
    assert (removed.removed_files, removed.kept_files) == (1, 0)
    assert list(paths.spool_dir.iterdir()) == []


def test_a_drain_returns_at_once_while_another_holds_the_lock(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(paths.ingest_lock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        result = drain_spool(paths, Config())
    finally:
        holder.communicate(b"", timeout=30)

    assert result.locked_out and result.rounds == 0
    assert spool.has_new_lines(paths.spool_dir) and spool.rotated_files(paths.spool_dir) == []
    assert not paths.database.exists()


HOLD_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


def test_lines_appended_while_ingesting_are_taken_in_the_same_run(
    paths: Paths, failing_session: Path, subagent_session: Path
) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    calls: list[list[Path]] = []

    def ingest_while_a_hook_fires(store: Store, targets: Sequence[Path], config: Config) -> IngestReport:
        calls.append(list(targets))
        if len(calls) == 1:
            spool.append_event(paths.spool_dir, stop(subagent_session, WITH_SUBAGENT))
        return ingest_paths(store, targets, config)

    result = drain_spool(paths, Config(), ingest=ingest_while_a_hook_fires)

    assert result.rounds == 2
    assert calls[0] == [failing_session] and calls[1][0] == subagent_session
    assert counts(paths)["turns"] == 3 + 1 + 1


def test_a_line_appended_just_before_the_lock_is_released_is_not_stranded(
    paths: Paths, failing_session: Path, subagent_session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    drain_under_lock = ingester._drain_locked
    runs: list[int] = []

    def then_a_hook_fires(*args: object) -> None:
        drain_under_lock(*args)  # type: ignore[arg-type]
        runs.append(1)
        if len(runs) == 1:  # the hook saw the lock held, so it started no ingester
            spool.append_event(paths.spool_dir, stop(subagent_session, WITH_SUBAGENT))

    monkeypatch.setattr(ingester, "_drain_locked", then_a_hook_fires)

    result = drain_spool(paths, Config())

    assert len(runs) == 2 and not result.locked_out
    assert not spool.has_new_lines(paths.spool_dir)
    assert counts(paths)["sessions"] == 3


def test_a_crash_while_ingesting_leaves_the_lines_for_the_next_run(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    def crash(store: Store, targets: Sequence[Path], config: Config) -> IngestReport:
        ingest_paths(store, targets[:0], config)
        raise SystemExit("killed mid-ingest")

    with pytest.raises(SystemExit, match="killed mid-ingest"):
        drain_spool(paths, Config(), quiet_seconds=0, ingest=crash)
    assert len(spool.rotated_files(paths.spool_dir)) == 1

    result = drain_spool(paths, Config(), quiet_seconds=0)

    assert result.lines == 1 and result.removed_files == 1
    assert counts(paths)["turns"] == 3


def test_an_ingest_that_fails_once_is_tried_again_and_nothing_is_quarantined(
    paths: Paths, failing_session: Path
) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    calls: list[int] = []

    def flaky(store: Store, targets: Sequence[Path], config: Config) -> IngestReport:
        calls.append(len(targets))
        if len(calls) == 1:
            raise RuntimeError("failed once")
        return ingest_paths(store, targets, config)

    result = drain_spool(paths, Config(), quiet_seconds=0, ingest=flaky)

    assert calls == [1, 1] and result.removed_files == 1
    assert counts(paths)["turns"] == 3
    assert not quarantine.read(quarantine.log_path(paths.database))


def test_a_busy_store_leaves_the_spool_for_later(paths: Paths, failing_session: Path) -> None:
    with open_store(paths.database):
        pass
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DATABASE, str(paths.database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        busy = drain_spool(paths, Config(), quiet_seconds=0, store_wait=0.2)
    finally:
        holder.communicate(b"", timeout=30)

    assert busy.busy and busy.removed_files == 0 and busy.kept_files == 1
    later = drain_spool(paths, Config(), quiet_seconds=0)
    assert not later.busy and later.removed_files == 1
    assert counts(paths)["turns"] == 3


def test_a_corrupt_store_raises_and_keeps_the_spool(paths: Paths, failing_session: Path) -> None:
    paths.database.write_bytes(b"not a database" * 100)
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    with pytest.raises(StoreError):
        drain_spool(paths, Config(), quiet_seconds=0)

    assert [len(spool.read_rotated(p).events) for p in spool.rotated_files(paths.spool_dir)] == [1]


def test_events_without_a_readable_transcript_are_read_and_dropped(paths: Paths) -> None:
    spool.append_event(paths.spool_dir, SpoolEvent(event="Stop", transcript_path="/no/such/file.jsonl"))
    spool.append_event(paths.spool_dir, SpoolEvent(event="SessionStart"))
    with spool.live_path(paths.spool_dir).open("ab") as live:
        live.write(b"torn line\n")

    result = drain_spool(paths, Config(), quiet_seconds=0)

    assert (result.lines, result.bad_lines, result.transcripts, result.removed_files) == (3, 1, 0, 1)
    assert not paths.database.exists()


def test_no_spool_folder_means_nothing_to_do(tmp_path: Path) -> None:
    paths = Paths(home=tmp_path / "absent", projects=tmp_path / "projects")

    assert drain_spool(paths, Config()) == ingester.DrainResult()
    assert not paths.home.exists()


def test_after_ingest_runs_on_the_open_store(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))
    seen: list[tuple[int, int]] = []

    def count_turns(store: Store, report: IngestReport) -> None:
        seen.append((int(store.scalar("SELECT count(*) FROM turns")), report.turns))

    drain_spool(paths, Config(), after_ingest=count_turns)

    assert seen == [(3, 3)]


def test_the_cli_drains_the_spool(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    finished = subprocess.run(
        [sys.executable, "-I", "-m", "trajectory_miner", "ingest", "--from-spool", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == ""
    assert counts(paths)["turns"] == 3


def test_an_excluded_project_is_not_stored_from_the_spool(paths: Paths, failing_session: Path) -> None:
    spool.append_event(paths.spool_dir, stop(failing_session, FAILING))

    result = drain_spool(paths, Config(excluded_projects=["/work/demo"]))

    assert result.transcripts == 1 and result.ingest.turns == 0
    assert counts(paths)["turns"] == 0


def test_the_lock_file_is_created_private(paths: Paths) -> None:
    with ingester.ingest_lock(paths.ingest_lock) as held:
        assert held
        with open(paths.ingest_lock, "a", encoding="utf-8") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)

    assert paths.ingest_lock.stat().st_mode & 0o777 == 0o600
