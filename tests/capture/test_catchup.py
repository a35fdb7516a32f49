"""Spool catch-up: read commands store what the hooks spooled when no ingester did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from retrieval.builders import START, fixed_module_session, write_session

from tests.store.test_writer_lock import held_elsewhere
from trajectory_miner.capture import catchup
from trajectory_miner.capture.spool import SpoolEvent, append_event, has_new_lines, rotated_files
from trajectory_miner.cli import main
from trajectory_miner.paths import Paths, ensure_home, resolve
from trajectory_miner.store import open_store

FIRST = "cafe0000-0000-4000-8000-000000000001"
LATE = "cafe0000-0000-4000-8000-000000000002"


def spooled_session(paths: Paths, sid: str, prompt: str) -> Path:
    """A session whose transcript is on disk and named in the spool, as a hook left it."""
    transcript = write_session(paths.projects, sid, prompt, fixed_module_session("x"), start=START)
    append_event(paths.spool_dir, SpoolEvent(event="Stop", session_id=sid, transcript_path=str(transcript)))
    return transcript


def listed(capsys: pytest.CaptureFixture[str]) -> set[str]:
    assert main(["sessions", "--json"]) == 0
    return {row["session_id"] for row in json.loads(capsys.readouterr().out)}


@pytest.fixture
def paths() -> Paths:
    found = resolve()
    ensure_home(found)
    write_session(found.projects, FIRST, "Set up the project", fixed_module_session("setup"), start=START)
    assert main(["ingest", "--quiet"]) == 0
    return found


def test_a_read_command_stores_a_small_backlog_before_it_reads(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    spooled_session(paths, LATE, "Render the invoices")
    assert has_new_lines(paths.spool_dir)

    assert listed(capsys) == {FIRST, LATE}
    assert not has_new_lines(paths.spool_dir)


def test_a_large_backlog_is_left_to_a_background_ingester(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    capsys.readouterr()
    started: list[Path] = []
    monkeypatch.setattr(catchup, "INLINE_BYTES", 10)
    monkeypatch.setattr(catchup, "start_ingester", lambda p: started.append(p.home) or True)
    spooled_session(paths, LATE, "Render the invoices")

    assert listed(capsys) == {FIRST}
    assert started == [paths.home]
    assert has_new_lines(paths.spool_dir) or rotated_files(paths.spool_dir)


def test_while_another_process_writes_the_backlog_waits_and_the_command_still_answers(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    spooled_session(paths, LATE, "Render the invoices")
    with held_elsewhere(paths.database):
        assert not catchup.catch_up(paths)
        assert listed(capsys) == {FIRST}
        assert has_new_lines(paths.spool_dir)
    assert listed(capsys) == {FIRST, LATE}


def test_start_ingester_claims_the_lock_file_so_a_second_call_starts_none(paths: Paths) -> None:
    assert catchup.start_ingester(paths)
    assert catchup.ingester_active(paths)
    assert not catchup.start_ingester(paths)
    assert catchup.reap(wait_seconds=60) == 0


def test_a_writing_command_catches_up_too(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    spooled_session(paths, LATE, "Render the invoices")

    assert main(["mine", "--json"]) == 0

    with open_store(paths.database, read_only=True) as store:
        assert {r[0] for r in store.query("SELECT session_id FROM sessions")} == {FIRST, LATE}
