"""The live-hint file: the best known fix per error family, small and replaced atomically."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from retrieval.builders import FIXED_SESSIONS, planted_store, put_items

from trajectory_miner.cli import main
from trajectory_miner.hints import Hint, build_hints, hints_from_store, write_hints
from trajectory_miner.mined import Skill
from trajectory_miner.retrieval import MemoryIndex
from trajectory_miner.store import open_store

MODULE = "ModuleNotFoundError: No module named <q>"
PORT = "Error: listen EADDRINUSE: address already in use :::<n>"


def test_a_family_gets_the_fix_of_a_session_that_got_past_it_and_stuck_only_families_get_none(
    isolated_home: Path,
) -> None:
    with open_store(planted_store(isolated_home), read_only=True) as store:
        hints = hints_from_store(store)
    assert hints[MODULE].source in FIXED_SESSIONS
    assert "python -m scripts.report_" in hints[MODULE].fix
    assert hints[MODULE].sessions == 5
    assert "No matching distribution" not in " ".join(hints)


def test_an_approved_skill_is_preferred_to_a_session_fix(isolated_home: Path) -> None:
    database = planted_store(isolated_home)
    skill = Skill(
        id="S-001",
        cluster_key="k",
        name="run-as-module",
        description="Run scripts as modules",
        trigger="ModuleNotFoundError",
        steps=["python -m <package>.<script> from the repo root"],
        signatures=["Bash|exit1|" + MODULE],
        status="approved",
        success_rate=1.0,
    )
    put_items(database, "skills", [skill])
    with open_store(database, read_only=True) as store:
        hints = build_hints(MemoryIndex.build(store))
    assert hints[MODULE].source == "S-001"
    assert hints[MODULE].fix == "skill run-as-module: python -m <package>.<script> from the repo root"


def test_the_families_seen_in_most_sessions_are_kept_when_over_the_limit(isolated_home: Path) -> None:
    with open_store(planted_store(isolated_home), read_only=True) as store:
        hints = build_hints(MemoryIndex.build(store), limit=1)
    assert list(hints) == [MODULE]


def test_the_file_is_private_replaced_whole_and_left_alone_when_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "home" / "hints.json"
    hints = {MODULE: Hint(fix="python -m x", source="S-001", sessions=2)}
    assert write_hints(path, hints)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "version": 1,
        "hints": {MODULE: {"fix": "python -m x", "source": "S-001", "sessions": 2}},
    }
    assert not write_hints(path, hints)
    assert write_hints(path, {})
    assert json.loads(path.read_text(encoding="utf-8"))["hints"] == {}
    assert [p.name for p in path.parent.iterdir()] == ["hints.json"]


def test_the_hints_command_writes_the_file_the_hook_reads(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted_store(isolated_home)
    assert main(["hints"]) == 0
    assert "hints written in" in capsys.readouterr().out
    table = json.loads((isolated_home / "hints.json").read_text(encoding="utf-8"))["hints"]
    assert table[MODULE]["source"] in FIXED_SESSIONS
    assert main(["hints", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == table
