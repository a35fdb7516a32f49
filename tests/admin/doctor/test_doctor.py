"""`doctor`: each thing that can need the user is found and said in one line, and a healthy home passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from trajectory_miner.admin.doctor import Interpreters, diagnose
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.capture.spool import SpoolEvent, append_event
from trajectory_miner.cli import main
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, ensure_home, resolve
from trajectory_miner.store import open_store
from trajectory_miner.store.migrations import migrate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "transcripts"
TRANSCRIPT = FIXTURES / "spool_session_with_failing_bash.jsonl"
HERE = Interpreters(explicit=sys.executable)


@pytest.fixture
def paths(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    monkeypatch.setenv("TRAJECTORY_MINER_PYTHON", sys.executable)
    monkeypatch.delenv("CLAUDE_PLUGIN_DATA", raising=False)
    return resolve()


@pytest.fixture
def stored(paths: Paths) -> Paths:
    ensure_home(paths)
    with open_store(paths.database) as store:
        ingest_paths(store, [FIXTURES / "mining_clean_feature.jsonl"], Config())
    return paths


def doctor_json(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["doctor", "--json"])
    return code, json.loads(capsys.readouterr().out)


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found


def test_a_healthy_home_passes_every_check(stored: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor_json(capsys)

    assert code == 0 and report["ok"] is True
    levels = {c["name"]: c["level"] for c in report["checks"]}
    # Where the command and the plugin are is the test machine's business, but never a problem here.
    assert levels.pop("command") != "problem" and levels.pop("plugin") != "problem"
    assert levels == {
        "permissions": "ok",
        "store": "ok",
        "ingest": "ok",
        "spool": "ok",
        "hook errors": "ok",
        "quarantine": "ok",
        "disk": "ok",
        "config": "ok",
        "environment": "ok",
    }
    store = check(report, "store")
    assert store["details"]["sessions"] == 1 and store["details"]["pending"] == []
    assert check(report, "environment")["details"]["python"] == sys.executable


def test_a_home_with_nothing_yet_only_notes_it(paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = doctor_json(capsys)

    assert code == 0
    assert check(report, "home")["level"] == "note"
    assert "run `trajectory-miner ingest`" in check(report, "store")["fix"]
    assert not paths.home.exists()


def test_a_corrupt_store_is_a_problem_with_the_way_out(stored: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    stored.database.write_bytes(os.urandom(64 * 1024))

    code, report = doctor_json(capsys)

    store = check(report, "store")
    assert code == 1 and store["level"] == "problem"
    assert "damaged" in store["summary"]
    assert ".broken" in store["fix"] and "trajectory-miner ingest" in store["fix"]


def test_a_store_behind_the_latest_migration_asks_for_an_ingest(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_home(paths)
    con = duckdb.connect(str(paths.database))
    migrate(con, stop_before="m002_scores")
    con.close()
    os.chmod(paths.database, 0o600)

    code, report = doctor_json(capsys)

    store = check(report, "store")
    assert code == 1 and store["level"] == "problem"
    assert store["details"]["schema"] == "m001_capture" and "m002_scores" in store["details"]["pending"]
    assert store["fix"] == "run `trajectory-miner ingest` once to upgrade it"


def test_a_store_from_a_newer_version_asks_for_an_update(stored: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(stored.database) as store:
        store.execute("INSERT INTO _migrations VALUES ('m999_future', now())")

    code, report = doctor_json(capsys)

    assert code == 1
    assert "newer trajectory-miner" in check(report, "store")["summary"]


HOLDER = """
import duckdb, fcntl, os, sys, time
con = duckdb.connect(sys.argv[1])
if sys.argv[2] == "ingester":
    fd = os.open(sys.argv[3], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def holder(stored: Paths) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(kind: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(stored.database), kind, str(stored.ingest_lock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == "holding\n"

    yield start
    for process in started:
        process.communicate("", timeout=30)


def test_a_store_held_by_the_ingester_is_not_an_error(holder: Any, capsys: pytest.CaptureFixture[str]) -> None:
    holder("ingester")

    code, report = doctor_json(capsys)

    store = check(report, "store")
    assert code == 0 and store["level"] == "ok"
    assert "background ingester" in store["summary"]


def test_a_store_held_by_another_process_is_noted_with_its_pid(holder: Any, capsys: pytest.CaptureFixture[str]) -> None:
    holder("other")

    code, report = doctor_json(capsys)

    store = check(report, "store")
    assert code == 0 and store["level"] == "note"
    assert "in use by another process (process " in store["summary"]


def test_a_config_file_that_cannot_be_used_is_a_problem_saying_which_setting(
    stored: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    stored.config_file.write_text('redact_patterns = ["(open"]\nlive_hint = false\n', encoding="utf-8")
    os.chmod(stored.config_file, 0o600)

    code, report = doctor_json(capsys)

    config = check(report, "config")
    assert code == 1 and config["level"] == "problem"
    assert "invalid redaction pattern '(open'" in config["summary"]
    assert "live_hint" in config["summary"]
    assert str(stored.config_file) in config["fix"]


def test_files_open_to_other_users_are_a_problem(stored: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    os.chmod(stored.database, 0o644)
    os.chmod(stored.home, 0o755)

    code, report = doctor_json(capsys)

    permissions = check(report, "permissions")
    assert code == 1 and permissions["level"] == "problem"
    assert set(permissions["details"]["open_to_others"]) == {str(stored.home), str(stored.database)}
    assert permissions["fix"] == f"chmod -R go-rwx {stored.home}"


def test_the_spool_backlog_counts_only_events_whose_transcripts_are_not_stored(stored: Paths, tmp_path: Path) -> None:
    waiting = tmp_path / "waiting.jsonl"
    shutil.copy(TRANSCRIPT, waiting)
    now = datetime.now(UTC)
    hour_ago = (now - timedelta(hours=1)).isoformat()
    append_event(
        stored.spool_dir, SpoolEvent("Stop", transcript_path=str(FIXTURES / "mining_clean_feature.jsonl"), at=hour_ago)
    )
    append_event(stored.spool_dir, SpoolEvent("Stop", transcript_path=str(waiting), at=hour_ago))
    append_event(stored.spool_dir, SpoolEvent("Stop", transcript_path=str(waiting), at=now.isoformat()))

    late = diagnose(stored, HERE, now=now)
    fresh = diagnose(stored, HERE, now=now - timedelta(minutes=55))
    with open_store(stored.database) as store:
        ingest_paths(store, [waiting], Config())
    done = diagnose(stored, HERE, now=now)

    spool = next(c for c in late.checks if c.name == "spool")
    assert spool.level == "problem" and spool.details["waiting"] == 2 and spool.details["events"] == 3
    assert "ingest --from-spool" in spool.fix
    assert next(c for c in fresh.checks if c.name == "spool").level == "note"
    assert next(c for c in done.checks if c.name == "spool").level == "ok"


def test_recent_hook_errors_are_a_problem_and_old_ones_a_note(stored: Paths) -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    stored.hook_errors.write_text(
        "2026-05-20T10:00:00Z Stop pid=1 OSError: disk full\n"
        "2026-06-01T11:00:00Z SessionStart pid=2 unreadable payload: empty payload\n",
        encoding="utf-8",
    )

    recent = next(c for c in diagnose(stored, HERE, now=now).checks if c.name == "hook errors")
    later = next(c for c in diagnose(stored, HERE, now=now + timedelta(days=3)).checks if c.name == "hook errors")

    assert recent.level == "problem" and recent.details["count"] == 2
    assert "unreadable payload: empty payload" in recent.summary
    assert str(stored.hook_errors) in recent.fix
    assert later.level == "note"


def test_no_environment_for_the_hooks_is_a_problem(stored: Paths, tmp_path: Path) -> None:
    plugin_data = tmp_path / "plugin-data"
    plugin_data.mkdir()
    (plugin_data / "env.failed").write_text("digest", encoding="utf-8")

    missing = diagnose(stored, Interpreters(explicit=str(tmp_path / "nope"), plugin_data=plugin_data))

    environment = next(c for c in missing.checks if c.name == "environment")
    assert not missing.ok and environment.level == "problem"
    assert f"TRAJECTORY_MINER_PYTHON={tmp_path / 'nope'} is not an executable" in environment.summary
    assert str(plugin_data / "setup.log") in environment.summary
    assert "install.sh" in environment.fix


def test_an_environment_without_the_package_is_a_problem(stored: Paths, tmp_path: Path) -> None:
    bare = tmp_path / "bare-python"
    bare.write_text(
        "#!/bin/sh\necho 'ModuleNotFoundError: No module named trajectory_miner' >&2\nexit 1\n", encoding="utf-8"
    )
    bare.chmod(0o755)

    environment = next(c for c in diagnose(stored, Interpreters(explicit=str(bare))).checks if c.name == "environment")

    assert environment.level == "problem"
    assert "cannot import trajectory_miner: ModuleNotFoundError" in environment.summary


def test_the_text_output_gives_one_line_per_problem_saying_what_to_do(
    stored: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    os.chmod(stored.database, 0o640)
    stored.hook_errors.write_text(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} Stop pid=1 boom\n", encoding="utf-8")
    capsys.readouterr()

    code = main(["doctor"])

    out = capsys.readouterr().out
    assert code == 1
    tail = out.split("2 problem(s) need you:\n", 1)[1].splitlines()
    assert tail == [
        f"  permissions: chmod -R go-rwx {stored.home}",
        f"  hook errors: read {stored.hook_errors}; once the cause is fixed, delete the log",
    ]


def test_an_ingest_that_found_nothing_is_said_with_where_it_looked_not_to_be_run_again(
    paths: Paths, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_home(paths)
    with open_store(paths.database):
        pass  # a store that no ingest has run on yet
    code, report = doctor_json(capsys)
    assert code == 0
    assert check(report, "ingest")["summary"] == "nothing ingested yet"
    assert "trajectory-miner ingest" in check(report, "ingest")["fix"]

    assert main(["ingest", "--quiet"]) == 0

    code, report = doctor_json(capsys)
    ingest = check(report, "ingest")
    assert code == 0 and ingest["level"] == "note"
    assert ingest["summary"].startswith("the last ingest (")
    assert ingest["summary"].endswith(f" found no transcripts under {paths.projects}")
    assert "trajectory-miner ingest" not in ingest["fix"]
