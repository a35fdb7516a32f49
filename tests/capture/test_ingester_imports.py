"""The hooks' ingester stores a session before it loads the scorer, the miner or the server.

Run as the hooks run it, in its own interpreter: what a module list shows is what the process
paid for before the session became readable.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trajectory_miner.capture import spool
from trajectory_miner.capture.spool import SpoolEvent
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.store import open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
SESSION = "22222222-aaaa-4bbb-8ccc-000000000002"

NOT_BEFORE_STORED = (
    "trajectory_miner.capture.upkeep",
    "trajectory_miner.model",
    "trajectory_miner.sessions",
    "trajectory_miner.scoring",
    "trajectory_miner.scoring.card",
    "trajectory_miner.mining",
    "trajectory_miner.mining.items",
    "trajectory_miner.skills",
    "trajectory_miner.retrieval",
    "trajectory_miner.report",
    "trajectory_miner.export",
    "trajectory_miner.analysis.checks",
    "trajectory_miner.analysis.recoveries",
    "mcp_server",
    "mcp",
)
"""Packages the ingest of a stopped session does not run: they may load only once it is stored."""

# Runs the command line the hooks start, noting the loaded modules each time the ingester
# lets go of the store: the first time, the new session has just become readable.
WATCH = """
import contextlib, json, sys
from trajectory_miner.capture import ingester
from trajectory_miner.cli import main

seen = []
writable = ingester.open_store

@contextlib.contextmanager
def watched(*args, **kwargs):
    with writable(*args, **kwargs) as store:
        yield store
    seen.append(sorted(sys.modules))

ingester.open_store = watched
code = main(["ingest", "--from-spool", "--quiet"])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "seen": seen}, out)
"""


@pytest.fixture
def paths() -> Paths:
    found = resolve()
    transcript = found.projects / "-work-demo" / f"{SESSION}.jsonl"
    transcript.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "spool_session_with_failing_bash.jsonl", transcript)
    spool.append_event(
        found.spool_dir,
        SpoolEvent(event="Stop", session_id=SESSION, transcript_path=str(transcript), cwd="/work/demo"),
    )
    return found


def loaded(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [name for name in modules if any(name == p or name.startswith(p + ".") for p in packages)]


def test_the_session_is_stored_before_the_scorer_loads_and_scored_after(paths: Paths, tmp_path: Path) -> None:
    out = tmp_path / "modules.json"

    finished = subprocess.run(
        [sys.executable, "-I", "-c", WATCH, str(out)], capture_output=True, text=True, timeout=120, check=False
    )

    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["code"] == 0
    stored, scored = result["seen"]
    assert loaded(stored, NOT_BEFORE_STORED) == []
    assert "trajectory_miner.capture.ingest" in stored
    assert "trajectory_miner.scoring" in scored
    with open_store(paths.database, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM turns WHERE session_id = ?", [SESSION]) == 3
        assert store.scalar("SELECT count(*) FROM scores WHERE session_id = ?", [SESSION]) == 1
