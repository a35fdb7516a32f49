"""Long-running commands draw progress on a terminal, stay quiet when piped, and all speak JSON."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
LONG_RUNNING = [
    (["ingest"], "ingest ["),
    (["rescore"], "rescore ["),
    (["mine"], "mine ["),
    (["report"], "report ["),
]


@pytest.fixture
def stored_home(isolated_home: Path) -> Path:
    projects = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / "-work-shop"
    projects.mkdir(parents=True)
    for transcript in sorted(FIXTURES.glob("mining_*.jsonl")):
        shutil.copy(transcript, projects / transcript.name)
    return isolated_home


def _run(argv: list[str], stderr_on_terminal: bool) -> tuple[int, str, str]:
    command = [sys.executable, "-m", "trajectory_miner", *argv]
    if not stderr_on_terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, text=True)
        os.close(follower)
        out, _ = process.communicate(timeout=120)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is gone once the process exited and all was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    return process.returncode, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(("argv", "bar"), LONG_RUNNING, ids=[a[0] for a, _ in LONG_RUNNING])
def test_progress_is_drawn_on_a_terminal_and_never_when_piped(stored_home: Path, argv: list[str], bar: str) -> None:
    if argv != ["ingest"]:
        assert _run(["ingest", "--quiet"], stderr_on_terminal=False)[0] == 0

    code, _, on_terminal = _run(argv, stderr_on_terminal=True)
    assert code == 0 and bar in on_terminal

    code, _, piped = _run(argv, stderr_on_terminal=False)
    assert code == 0 and piped == ""


@pytest.mark.parametrize("argv", [a for a, _ in LONG_RUNNING], ids=[a[0] for a, _ in LONG_RUNNING])
def test_every_long_running_command_prints_one_json_object_with_json(stored_home: Path, argv: list[str]) -> None:
    if argv != ["ingest"]:
        assert _run(["ingest", "--quiet"], stderr_on_terminal=False)[0] == 0

    code, out, err = _run([*argv, "--json"], stderr_on_terminal=True)

    assert code == 0 and isinstance(json.loads(out), dict)
    assert "[" not in err  # no bar either, even on a terminal: --json is for programs


def test_ingest_on_a_terminal_also_draws_the_scoring_that_follows_it(stored_home: Path) -> None:
    code, _, on_terminal = _run(["ingest"], stderr_on_terminal=True)
    assert code == 0
    assert "ingest [" in on_terminal and "score [" in on_terminal
    assert on_terminal.index("ingest [") < on_terminal.index("score [")
