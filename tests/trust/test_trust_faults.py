"""Faults: the ingester killed at random points, transcripts cut, replaced and deleted, a corrupt store.

Whatever happens, every turn a transcript holds ends up stored exactly once, a hook always
exits 0 in time, and the commands fail with one clear line instead of a traceback.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hooks.simulate import append_turn, payload, run_hook, turn_entries, wait_until

from trajectory_miner.admin.doctor import ingester_running
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import Store, open_store

REPO = Path(__file__).resolve().parents[2]


def _hook_timeout() -> float:
    """The shortest time Claude Code gives any of the plugin's hooks before killing it."""
    config = json.loads((REPO / "hooks" / "hooks.json").read_text(encoding="utf-8"))
    return float(min(hook["timeout"] for groups in config["hooks"].values() for g in groups for hook in g["hooks"]))


HOOK_TIMEOUT = _hook_timeout()
KILLS = 50
# On a quiet machine 50 kills take well under a minute; the cap only bounds a very busy one.
KILL_BUDGET_S = 150.0
SESSIONS = 3
FAIL_EVERY = 5
PACE_S = 0.3
INGEST = [sys.executable, "-m", "trajectory_miner", "ingest", "--from-spool", "--quiet"]


def _entries(path: Path) -> list[dict[str, Any]]:
    """The transcript's entries, lines that are not whole JSON left out (as a cut line is)."""
    entries = []
    for line in path.read_bytes().splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def expected(transcript: Path) -> tuple[list[str], int, int]:
    """Prompts in file order, tool calls and failed tool calls, counted straight from the lines."""
    prompts: list[str] = []
    calls = errors = 0
    for entry in _entries(transcript):
        content = entry.get("message", {}).get("content")
        if entry.get("type") == "user" and isinstance(content, str):
            prompts.append(content)
        for block in content if isinstance(content, list) else []:
            calls += block.get("type") == "tool_use"
            errors += block.get("type") == "tool_result" and block.get("is_error") is True
    return prompts, calls, errors


def stored_turns(store: Store, session_id: str) -> list[str]:
    rows = store.query("SELECT prompt FROM turns WHERE session_id = ? ORDER BY turn_index", [session_id])
    return [r[0] for r in rows]


def assert_stored_exactly_once(store: Store, transcripts: dict[str, Path]) -> None:
    for sid, transcript in transcripts.items():
        prompts, calls, errors = expected(transcript)
        rows = store.query(
            "SELECT count(*), count(DISTINCT uuid), count(DISTINCT turn_index), min(turn_index), max(turn_index) "
            "FROM turns WHERE session_id = ?",
            [sid],
        )[0]
        assert rows == (len(prompts), len(prompts), len(prompts), 0, len(prompts) - 1), sid
        assert stored_turns(store, sid) == prompts, sid
        steps = store.query("SELECT count(*), count(*) FILTER (WHERE is_error) FROM steps WHERE session_id = ?", [sid])
        assert steps[0] == (calls, errors), sid


def _wait_for_open(process: subprocess.Popen[bytes], target: Path, timeout: float = 10.0) -> None:
    """Until the process opens the file (or ends); polled tightly, as the store is open only briefly."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None and not _opened(process.pid, target):
        time.sleep(0.002)


def _opened(pid: int, target: Path) -> bool:
    """True when the process has the file open (read from /proc without disturbing it)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(folder / fd) == str(target) for fd in os.listdir(folder))
    except OSError:
        return False


class Sessions:
    """Busy sessions: each turn appended to a transcript, then the real Stop hook fired."""

    def __init__(self, paths: Paths, env: dict[str, str]) -> None:
        self.env = env
        self.transcripts = {
            f"55555555-aaaa-4bbb-8ccc-{i:012d}": paths.projects
            / f"-work-fault-{i}"
            / f"55555555-aaaa-4bbb-8ccc-{i:012d}.jsonl"
            for i in range(SESSIONS)
        }
        self.turns = Counter[str]()
        self.hook_failures: list[str] = []
        self.stop = threading.Event()

    def fire(self, event: str, sid: str) -> None:
        transcript = self.transcripts[sid]
        process = run_hook(event, payload(event, sid, transcript, f"/work/fault/{sid[-1]}"), self.env)
        if process.returncode != 0 or process.stdout:
            self.hook_failures.append(f"{event} {sid}: {process.returncode} {process.stdout!r}")

    def run(self) -> None:
        for sid in self.transcripts:
            self.fire("SessionStart", sid)
        while not self.stop.is_set():
            for sid, transcript in self.transcripts.items():
                turn = self.turns[sid]
                append_turn(transcript, sid, f"/work/fault/{sid[-1]}", turn, fail=turn % FAIL_EVERY == 0)
                self.turns[sid] += 1
                self.fire("Stop", sid)
            # Paced, so the ingesters under test get the processor too.
            self.stop.wait(PACE_S)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see what the ingester has open")
def test_an_ingester_killed_at_random_points_loses_and_duplicates_no_turn() -> None:
    paths = resolve()
    # No interpreter for the hooks: they only spool, and this test alone starts (and kills) ingesters.
    env = {k: v for k, v in os.environ.items() if k not in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA")}
    sessions = Sessions(paths, env)
    writer = threading.Thread(target=sessions.run, name="sessions")
    writer.start()
    rng = random.Random(20260121)
    kills: Counter[str] = Counter()
    finished = 0
    began = time.monotonic()
    try:
        assert wait_until(lambda: paths.spool_dir.is_dir(), timeout=30)
        while sum(kills.values()) < KILLS and time.monotonic() - began < KILL_BUDGET_S:
            process = subprocess.Popen(INGEST, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # Some die while starting; the rest once they hold the lock, or while the store is open.
            phase = rng.choice(("starting", "locked", "locked", "writing", "writing"))
            if phase != "starting":
                target = paths.ingest_lock if phase == "locked" else paths.database
                _wait_for_open(process, target)
            try:
                process.wait(timeout=rng.uniform(0.0, {"starting": 0.5, "locked": 0.6, "writing": 0.05}[phase]))
                finished += 1
                assert process.returncode == 0, process.stderr.read() if process.stderr else ""
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)
                kills[phase] += 1
            if process.stderr:
                process.stderr.close()
    finally:
        sessions.stop.set()
        writer.join(timeout=60)

    final = subprocess.run(INGEST, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert final.returncode == 0, final.stderr
    assert sum(kills.values()) >= KILLS, (kills, finished)
    assert all(kills[phase] for phase in ("starting", "locked", "writing")), kills
    assert sessions.hook_failures == []
    assert min(sessions.turns.values()) > 0
    with open_store(paths.database, read_only=True) as store:
        assert_stored_exactly_once(store, sessions.transcripts)


# -- transcripts changing under the ingester -----------------------------------------------------


def _write(path: Path, sid: str, turns: range, fail: bool = False) -> None:
    for turn in turns:
        append_turn(path, sid, "/work/demo", turn, fail=fail and turn % FAIL_EVERY == 0)


def _ingest(store: Store, *paths: Path, progress: object = None) -> list[str]:
    report = ingest_paths(store, list(paths), Config(), workers=1, progress=progress)  # type: ignore[arg-type]
    return report.errors


def test_a_line_cut_off_mid_write_is_stored_once_when_it_is_finished(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    sid = "cccccccc-aaaa-4bbb-8ccc-000000000001"
    _write(path, sid, range(2), fail=True)
    whole = b"".join(json.dumps(e).encode() + b"\n" for e in turn_entries(sid, "/work/demo", 2))
    cut = whole.index(b"\n") // 2
    with path.open("ab") as handle:
        handle.write(whole[:cut])
    with open_store(tmp_path / "m.duckdb") as store:
        _ingest(store, path)
        assert stored_turns(store, sid) == ["Prompt number 0", "Prompt number 1"]

        with path.open("ab") as handle:
            handle.write(whole[cut:])
        _ingest(store, path)
        _ingest(store, path)

        assert_stored_exactly_once(store, {sid: path})


def test_a_transcript_truncated_mid_line_under_the_ingester_is_read_again_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "truncated.jsonl"
    other = tmp_path / "first.jsonl"
    sid = "cccccccc-aaaa-4bbb-8ccc-000000000002"
    _write(other, "cccccccc-aaaa-4bbb-8ccc-000000000003", range(1))
    _write(path, sid, range(4), fail=True)
    with open_store(tmp_path / "m.duckdb") as store:
        _ingest(store, path)
        cut = len(path.read_bytes()) - 100

        def truncate(done: int, total: int, name: str) -> None:
            if name == other.name:
                os.truncate(path, cut)

        # Files are read in name order: the one being cut comes after the first.
        assert sorted([other.name, path.name])[0] == other.name
        errors = _ingest(store, other, path, progress=truncate)
        assert errors == []
        _write(path, sid, range(4, 6))
        _ingest(store, path)

        # The cut line and the line written after it became one broken line: skipped, not fatal.
        assert store.scalar("SELECT skipped_lines FROM files WHERE path = ?", [str(path.resolve())]) == 1
        assert expected(path)[0] == [f"Prompt number {i}" for i in (0, 1, 2, 3, 5)]
        assert_stored_exactly_once(store, {sid: path})


def test_a_transcript_replaced_by_a_new_file_under_the_ingester_is_read_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jsonl"
    first = tmp_path / "a-first.jsonl"
    old, new = "cccccccc-aaaa-4bbb-8ccc-000000000004", "cccccccc-aaaa-4bbb-8ccc-000000000005"
    _write(first, "cccccccc-aaaa-4bbb-8ccc-000000000006", range(1))
    _write(path, old, range(3))
    replacement = tmp_path / "replacement.part"
    _write(replacement, new, range(5))
    with open_store(tmp_path / "m.duckdb") as store:
        _ingest(store, path)

        def rotate(done: int, total: int, name: str) -> None:
            if name == first.name:
                os.replace(replacement, path)

        assert _ingest(store, first, path, progress=rotate) == []

        assert stored_turns(store, old) == [f"Prompt number {i}" for i in range(3)]
        assert_stored_exactly_once(store, {new: path})


def test_a_transcript_deleted_under_the_ingester_is_reported_and_the_rest_is_stored(tmp_path: Path) -> None:
    first, doomed, last = (tmp_path / f"{name}.jsonl" for name in ("a", "b", "c"))
    ids = {p: f"cccccccc-aaaa-4bbb-8ccc-00000000001{i}" for i, p in enumerate((first, doomed, last))}
    for path, sid in ids.items():
        _write(path, sid, range(2))
    with open_store(tmp_path / "m.duckdb") as store:

        def delete(done: int, total: int, name: str) -> None:
            if name == first.name:
                doomed.unlink()

        errors = _ingest(store, first, doomed, last, progress=delete)

        assert len(errors) == 1 and str(doomed) in errors[0]
        assert_stored_exactly_once(store, {ids[first]: first, ids[last]: last})
        assert store.scalar("SELECT count(*) FROM turns WHERE session_id = ?", [ids[doomed]]) == 0


def test_the_spool_drains_when_a_transcript_it_names_was_deleted(tmp_path: Path) -> None:
    paths = resolve()
    env = {k: v for k, v in os.environ.items() if k not in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA")}
    kept = paths.projects / "-work-demo" / "dddddddd-aaaa-4bbb-8ccc-000000000001.jsonl"
    gone = paths.projects / "-work-demo" / "dddddddd-aaaa-4bbb-8ccc-000000000002.jsonl"
    for path in (kept, gone):
        _write(path, path.stem, range(3))
        assert run_hook("Stop", payload("Stop", path.stem, path, "/work/demo"), env).returncode == 0
    gone.unlink()

    done = subprocess.run([*INGEST[:-1], "--json"], env=env, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["transcripts"] == 1
    with open_store(paths.database, read_only=True) as store:
        assert_stored_exactly_once(store, {kept.stem: kept})


# -- a corrupt store ---------------------------------------------------------------------------


@pytest.fixture
def corrupt_home(tmp_path: Path) -> Paths:
    paths = resolve()
    transcript = paths.projects / "-work-demo" / "eeeeeeee-aaaa-4bbb-8ccc-000000000001.jsonl"
    _write(transcript, transcript.stem, range(2))
    with open_store(paths.database) as store:
        _ingest(store, transcript)
    data = bytearray(paths.database.read_bytes())
    # Damage the headers and the first blocks, as a disk error or a stray write would.
    data[: 16 * 1024] = random.Random(1).randbytes(16 * 1024)
    paths.database.write_bytes(bytes(data))
    return paths


def _one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_with_a_corrupt_store_doctor_says_so_and_exits_non_zero(corrupt_home: Paths) -> None:
    env = {**os.environ, "TRAJECTORY_MINER_PYTHON": sys.executable}

    done = subprocess.run(
        [sys.executable, "-m", "trajectory_miner", "doctor"], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 1
    assert "problem  store" in done.stdout and "damaged" in done.stdout
    assert f"mv {corrupt_home.database} {corrupt_home.database}.broken" in done.stdout


def test_with_a_corrupt_store_the_hooks_still_exit_zero_in_time(corrupt_home: Paths) -> None:
    env = {**os.environ, "TRAJECTORY_MINER_PYTHON": sys.executable}
    transcript = next(corrupt_home.projects.rglob("*.jsonl"))
    for event in ("SessionStart", "Stop", "PreCompact", "SubagentStop", "SessionEnd"):
        began = time.monotonic()
        done = run_hook(event, payload(event, transcript.stem, transcript, "/work/demo"), env)
        took = time.monotonic() - began
        assert done.returncode == 0 and done.stdout == b"", event
        assert took < HOOK_TIMEOUT, (event, took)
    # The ingesters the hooks started met the corrupt store and gave up; the lines wait in the spool.
    assert wait_until(lambda: not ingester_running(corrupt_home.ingest_lock), timeout=60)
    assert len(list(corrupt_home.spool_dir.glob("*.jsonl"))) >= 1


@pytest.mark.parametrize("argv", [["ingest"], ["ingest", "--from-spool"], ["sessions"], ["mine"]])
def test_with_a_corrupt_store_commands_fail_with_one_clear_line(corrupt_home: Paths, argv: list[str]) -> None:
    transcript = next(corrupt_home.projects.rglob("*.jsonl"))
    env = {k: v for k, v in os.environ.items() if k not in ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA")}
    assert run_hook("Stop", payload("Stop", transcript.stem, transcript, "/work/demo"), env).returncode == 0

    done = subprocess.run(
        [sys.executable, "-m", "trajectory_miner", *argv], capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 1
    line = _one_clear_line(done.stderr)
    assert line.startswith("trajectory-miner: ") and str(corrupt_home.database) in line


def test_a_store_rebuilt_as_doctor_advises_keeps_forgotten_sessions_out(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trajectory_miner.cli import main

    paths = resolve()
    every = REPO / "tests" / "fixtures" / "transcripts" / "project-every-entry"
    forgotten = "11111111-aaaa-4bbb-8ccc-000000000001"
    shutil.copytree(every, paths.projects / "-work-demo")
    for path in sorted((REPO / "tests" / "fixtures" / "transcripts").glob("mining_*.jsonl")):
        shutil.copy(path, paths.projects / "-work-demo" / path.name)
    assert main(["ingest", "--quiet"]) == 0
    assert main(["forget", forgotten, "--yes", "--json"]) == 0
    capsys.readouterr()

    with paths.database.open("r+b") as damaged:  # a torn write over the header
        damaged.write(os.urandom(16_384))
    assert main(["doctor", "--json"]) == 1
    store_check = next(c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"] == "store")
    assert store_check["level"] == "problem"
    advice = store_check["fix"]
    assert "forgot" in advice
    aside = advice[advice.index("(") + 1 : advice.index(")")]
    subprocess.run(aside, shell=True, check=True, cwd=paths.home)
    assert main(["ingest", "--quiet"]) == 0

    with open_store(paths.database, read_only=True) as store:
        stored = {r[0] for r in store.query("SELECT split_part(session_id, '/', 1) FROM sessions")}
        assert stored and forgotten not in stored
        assert not store.scalar("SELECT count(*) FROM turns WHERE prompt LIKE '%calc.py%'")
    assert b"Fix the failing test in calc.py" not in paths.database.read_bytes()
