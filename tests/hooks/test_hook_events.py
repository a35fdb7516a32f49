"""The hook scripts, run as Claude Code runs them: they spool, hand over, and always exit 0."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hooks.simulate import (
    SCRIPTS,
    append_turn,
    fake_python,
    hook_module,
    payload,
    records,
    run_hook,
    spool_lines,
    wait_until,
)
from trajectory_miner.store import StoreError, open_store

SESSION = "44444444-aaaa-4bbb-8ccc-000000000004"
HOLD_DATABASE = """
import duckdb, sys
connection = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.read()
"""
INGEST_ARGV = ["-I", "-m", "trajectory_miner", "ingest", "--from-spool", "--quiet"]


def assert_quiet_success(process: subprocess.CompletedProcess[bytes]) -> None:
    assert process.returncode == 0
    assert process.stdout == b""


@pytest.mark.parametrize("event", sorted(SCRIPTS))
def test_each_event_appends_one_line_with_the_payloads_locating_fields(
    event: str, hook_env: dict[str, str], isolated_home: Path, transcript: Path
) -> None:
    extra = {"agent_transcript_path": str(transcript.with_suffix("") / "subagents" / "agent-a1.jsonl")}
    body = payload(event, SESSION, transcript, "/work/demo", **(extra if event == "SubagentStop" else {}))

    assert_quiet_success(run_hook(event, body, hook_env))

    [line] = spool_lines(isolated_home)
    assert line["v"] == 1
    assert line["event"] == event
    assert line["session_id"] == SESSION
    assert line["transcript_path"] == str(transcript)
    assert line["cwd"] == "/work/demo"
    assert line["agent_transcript_path"] == (extra["agent_transcript_path"] if event == "SubagentStop" else None)
    assert line["at"].endswith("Z")
    assert not (isolated_home / "hook-errors.log").exists()


@pytest.mark.parametrize(
    "stdin",
    [b"", b"not json at all", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"session_id": ', b"null"],
    ids=["empty", "text", "binary", "array", "truncated", "null"],
)
def test_unusable_stdin_still_spools_the_event_and_logs_why(
    stdin: bytes, hook_env: dict[str, str], isolated_home: Path
) -> None:
    assert_quiet_success(run_hook("Stop", stdin, hook_env))

    [line] = spool_lines(isolated_home)
    assert line["event"] == "Stop"
    assert line["session_id"] is None and line["transcript_path"] is None
    assert line["error"].startswith("unreadable payload")
    assert "Stop" in (isolated_home / "hook-errors.log").read_text(encoding="utf-8")


def test_non_string_fields_are_spooled_as_null(hook_env: dict[str, str], isolated_home: Path) -> None:
    body = {"session_id": 42, "transcript_path": ["x"], "cwd": {"a": 1}, "hook_event_name": "Stop"}

    assert_quiet_success(run_hook("Stop", body, hook_env))

    [line] = spool_lines(isolated_home)
    assert (line["session_id"], line["transcript_path"], line["cwd"]) == (None, None, None)


def test_unicode_in_the_payload_survives_the_spool(hook_env: dict[str, str], isolated_home: Path) -> None:
    odd = '/work/d\u00e9mo \u2603/"quoted"\\back\nline\U0001f600'
    assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, Path(odd), odd), hook_env))

    [line] = spool_lines(isolated_home)
    assert line["transcript_path"] == odd and line["cwd"] == odd


def test_a_missing_data_home_is_created_private(hook_env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "not" / "yet" / "there"
    hook_env["TRAJECTORY_MINER_HOME"] = str(home)

    assert_quiet_success(run_hook("SessionStart", payload("SessionStart", SESSION, Path("/t.jsonl"), "/"), hook_env))

    assert [line["event"] for line in spool_lines(home)] == ["SessionStart"]
    assert home.stat().st_mode & 0o777 == 0o700
    assert (home / "spool" / "events.jsonl").stat().st_mode & 0o777 == 0o600


def test_a_data_home_that_cannot_be_created_still_exits_0_silently(hook_env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    hook_env["TRAJECTORY_MINER_HOME"] = str(blocker / "home")

    process = run_hook("Stop", payload("Stop", SESSION, Path("/t.jsonl"), "/"), hook_env)

    assert_quiet_success(process)
    assert process.stderr == b""
    assert blocker.read_text(encoding="utf-8") == "in the way"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_read_only_data_home_still_exits_0_silently(hook_env: dict[str, str], isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o500)
    try:
        process = run_hook("Stop", payload("Stop", SESSION, Path("/t.jsonl"), "/"), hook_env)
    finally:
        isolated_home.chmod(0o700)

    assert_quiet_success(process)
    assert spool_lines(isolated_home) == []


def test_it_starts_the_ingester_detached_with_null_streams(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, transcript: Path
) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))

    assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, transcript, "/work/demo"), hook_env))

    assert wait_until(lambda: len(records(record)) == 1)
    [run] = records(record)
    assert run["argv"] == INGEST_ARGV
    assert run["streams"] == [os.devnull] * 3
    assert run["own_session"] is True


def test_it_starts_no_ingester_while_one_holds_the_lock(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, transcript: Path
) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))
    isolated_home.mkdir()
    body = payload("Stop", SESSION, transcript, "/work/demo")
    with (isolated_home / "ingest.lock").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert_quiet_success(run_hook("Stop", body, {**hook_env, "FAKE_TAG": "while-locked"}))
    assert_quiet_success(run_hook("Stop", body, {**hook_env, "FAKE_TAG": "after-release"}))

    assert wait_until(lambda: len(records(record)) >= 1)
    assert [run["tag"] for run in records(record)] == ["after-release"]
    assert len(spool_lines(isolated_home)) == 2


def test_a_burst_of_hooks_starts_one_ingester(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, transcript: Path
) -> None:
    record = tmp_path / "runs.jsonl"
    # The fake never takes the lock, like an ingester still importing its libraries.
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))
    body = payload("Stop", SESSION, transcript, "/work/demo")

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: run_hook("Stop", body, hook_env).returncode, range(24)))

    assert codes == [0] * 24
    assert wait_until(lambda: len(records(record)) >= 1)
    assert len(records(record)) == 1
    assert len(spool_lines(isolated_home)) == 24


def test_a_start_that_never_took_the_lock_is_retried_after_a_while(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, transcript: Path
) -> None:
    hookio = hook_module("_hookio")
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))
    isolated_home.mkdir()
    lock = isolated_home / "ingest.lock"
    body = payload("Stop", SESSION, transcript, "/work/demo")

    lock.write_text(f"{time.time() - 1:.3f}", encoding="utf-8")
    assert_quiet_success(run_hook("Stop", body, {**hook_env, "FAKE_TAG": "while-starting"}))
    lock.write_text(f"{time.time() - hookio.STARTING_S - 1:.3f}", encoding="utf-8")
    assert_quiet_success(run_hook("Stop", body, {**hook_env, "FAKE_TAG": "stale-start"}))

    assert wait_until(lambda: len(records(record)) >= 1)
    assert [run["tag"] for run in records(record)] == ["stale-start"]


def test_the_ingester_clears_the_start_stamp_when_it_takes_the_lock(isolated_home: Path) -> None:
    from trajectory_miner.capture.ingester import ingest_lock

    isolated_home.mkdir()
    lock = isolated_home / "ingest.lock"
    lock.write_text(f"{time.time():.3f}", encoding="utf-8")

    with ingest_lock(lock) as held:
        assert held

    assert lock.read_text(encoding="utf-8") == ""
    assert hook_module("_hookio").claim_ingest(str(isolated_home))


def test_without_an_environment_it_only_spools(hook_env: dict[str, str], isolated_home: Path, transcript: Path) -> None:
    assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, transcript, "/work/demo"), hook_env))

    assert len(spool_lines(isolated_home)) == 1
    assert not (isolated_home / "hook-errors.log").exists()


def test_a_wrong_interpreter_setting_is_logged_and_the_line_kept(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, transcript: Path
) -> None:
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(tmp_path / "no-such-python")

    assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, transcript, "/work/demo"), hook_env))

    assert len(spool_lines(isolated_home)) == 1
    assert "no-such-python" in (isolated_home / "hook-errors.log").read_text(encoding="utf-8")


def test_the_interpreter_is_looked_up_in_the_documented_order(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hookio = hook_module("_hookio")
    for name in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA"):
        monkeypatch.delenv(name, raising=False)
    home_python = fake_python(isolated_home / "venv" / "bin", tmp_path / "r")
    plugin_data = tmp_path / "plugin-data"
    plugin_python = fake_python(plugin_data / "venv" / "bin", tmp_path / "r")
    explicit = fake_python(tmp_path / "explicit", tmp_path / "r")

    assert hookio.find_python(str(isolated_home)) == str(home_python)
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(plugin_data))
    assert hookio.find_python(str(isolated_home)) == str(home_python)  # no marker: setup unfinished
    (plugin_data / "env.marker").write_text("digest\n", encoding="utf-8")
    assert hookio.find_python(str(isolated_home)) == str(plugin_python)
    monkeypatch.setenv("TRAJECTORY_MINER_PYTHON", str(explicit))
    assert hookio.find_python(str(isolated_home)) == str(explicit)


def test_the_hooks_choose_the_same_data_home_as_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trajectory_miner.paths import resolve

    hookio = hook_module("_hookio")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    cases = [
        {"TRAJECTORY_MINER_HOME": str(tmp_path / "explicit"), "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")},
        {"TRAJECTORY_MINER_HOME": None, "CLAUDE_CONFIG_DIR": str(tmp_path / "cfg")},
        {"TRAJECTORY_MINER_HOME": None, "CLAUDE_CONFIG_DIR": None},
        {"TRAJECTORY_MINER_HOME": "~/tilde-home", "CLAUDE_CONFIG_DIR": None},
    ]
    for case in cases:
        for name, value in case.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        assert Path(hookio.data_home()) == resolve().home, case


def stored_turns(home: Path) -> int:
    """Turns in the store, or -1 while it is missing or busy."""
    try:
        with open_store(home / "miner.duckdb", read_only=True, wait_seconds=0) as store:
            return int(store.scalar("SELECT count(*) FROM turns"))
    except StoreError:
        return -1


def lock_is_free(home: Path) -> bool:
    with (home / "ingest.lock").open("a", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def test_a_locked_database_delays_storing_but_not_the_hook(
    hook_env: dict[str, str], isolated_home: Path, transcript: Path
) -> None:
    isolated_home.mkdir()
    with open_store(isolated_home / "miner.duckdb"):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_DATABASE, str(isolated_home / "miner.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        append_turn(transcript, SESSION, "/work/demo", 0)
        hook_env["TRAJECTORY_MINER_PYTHON"] = sys.executable

        assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, transcript, "/work/demo"), hook_env))
        assert [line["event"] for line in spool_lines(isolated_home)] == ["Stop"]
    finally:
        holder.communicate(b"", timeout=30)

    assert wait_until(lambda: stored_turns(isolated_home) == 1, timeout=30)


def test_a_corrupt_database_leaves_the_line_in_the_spool(
    hook_env: dict[str, str], isolated_home: Path, transcript: Path
) -> None:
    isolated_home.mkdir()
    corrupt = isolated_home / "miner.duckdb"
    corrupt.write_bytes(b"this is not a duckdb file" * 100)
    append_turn(transcript, SESSION, "/work/demo", 0)
    hook_env["TRAJECTORY_MINER_PYTHON"] = sys.executable

    assert_quiet_success(run_hook("Stop", payload("Stop", SESSION, transcript, "/work/demo"), hook_env))

    spool_dir = isolated_home / "spool"
    assert wait_until(lambda: any(spool_dir.glob("rotated-*")) and lock_is_free(isolated_home), timeout=30)
    assert [line["event"] for line in spool_lines(isolated_home)] == ["Stop"]
    assert corrupt.read_bytes() == b"this is not a duckdb file" * 100


def test_the_error_log_is_kept_under_its_cap(hook_env: dict[str, str], isolated_home: Path) -> None:
    hookio = hook_module("_hookio")
    isolated_home.mkdir()
    log = isolated_home / "hook-errors.log"
    log.write_bytes(b"x" * (hookio.ERROR_LOG_CAP + 1))

    assert_quiet_success(run_hook("Stop", b"garbage", hook_env))

    assert (isolated_home / "hook-errors.log.1").stat().st_size == hookio.ERROR_LOG_CAP + 1
    assert 0 < log.stat().st_size < 1000


def test_concurrent_hooks_write_whole_lines(hook_env: dict[str, str], isolated_home: Path) -> None:
    def fire(index: int) -> int:
        body = payload("Stop", f"session-{index:03d}", Path(f"/t/{index}.jsonl"), "/work/" + "x" * 2000)
        return run_hook("Stop", body, hook_env).returncode

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(fire, range(48)))

    assert codes == [0] * 48
    lines = spool_lines(isolated_home)
    assert sorted(line["session_id"] for line in lines) == [f"session-{i:03d}" for i in range(48)]


def test_hooks_json_runs_every_script_in_exec_form_with_a_small_timeout() -> None:
    hooks_dir = Path(hook_module("_hookio").__file__).parent
    config = json.loads((hooks_dir / "hooks.json").read_text(encoding="utf-8"))

    assert set(SCRIPTS) <= set(config["hooks"])
    for event, script in SCRIPTS.items():
        [group] = config["hooks"][event]
        [handler] = group["hooks"]
        assert handler["args"] == ["-S", f"${{CLAUDE_PLUGIN_ROOT}}/hooks/{script}"]
    for groups in config["hooks"].values():
        for group in groups:
            for handler in group["hooks"]:
                assert handler["type"] == "command" and handler["command"] == "python3"
                assert handler["args"][0] == "-S"
                assert (hooks_dir / Path(handler["args"][1]).name).is_file()
                assert isinstance(handler["timeout"], int) and 0 < handler["timeout"] <= 10
