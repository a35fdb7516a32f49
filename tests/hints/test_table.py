"""The live-hint file: fixes per specific signature that got two sessions past it, by project."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from retrieval.builders import (
    FIXED_SESSIONS,
    START,
    Call,
    fixed_module_session,
    ingest,
    module_error,
    planted_store,
    port_session,
    put_items,
    write_session,
)

from trajectory_miner.cli import main
from trajectory_miner.hints import HINTS_VERSION, Hint, build_hints, hints_from_store, render, write_hints
from trajectory_miner.mining.items import Skill
from trajectory_miner.retrieval import MemoryIndex
from trajectory_miner.store import open_store

MODULE = "ModuleNotFoundError: No module named 'helpers'"
PORT = "Error: listen EADDRINUSE: address already in use :::<n>"


def path_fixed_session(name: str) -> list[Call]:
    """A session that gets past the module error by putting the repo root on the path."""
    return [
        Call(f"python scripts/{name}.py", module_error(name), error=True),
        Call(f"PYTHONPATH=. python scripts/{name}.py", "Total: 1", thought="Put the repo root on the path."),
    ]


def bare_exit_session() -> list[Call]:
    """A check that fails with nothing but its exit code, then passes."""
    return [Call("make check", "", error=True), Call("make check", "all good")]


def two_project_store(home: Path) -> Path:
    """The module error fixed as a module twice in alpha, by PYTHONPATH three times in beta, and
    a bare exit code got past three times in gamma."""
    projects = home / "t"
    for number in range(2):
        sid = f"a{number}000000-0000-4000-8000-000000000001"
        write_session(projects, sid, "run", fixed_module_session(f"a{number}"), cwd="/work/alpha", start=START)
    for number in range(3):
        sid = f"b{number}000000-0000-4000-8000-000000000001"
        when = START + timedelta(days=1 + number)
        write_session(projects, sid, "run", path_fixed_session(f"b{number}"), cwd="/work/beta", start=when)
    for number in range(3):
        sid = f"c{number}000000-0000-4000-8000-000000000001"
        when = START + timedelta(days=5 + number)
        write_session(projects, sid, "check", bare_exit_session(), cwd="/work/gamma", start=when)
    database = home / "m.duckdb"
    ingest(database, projects)
    return database


def hints_of(database: Path) -> dict[str, Hint]:
    with open_store(database, read_only=True) as store:
        return hints_from_store(store)


def test_a_failure_two_sessions_got_past_gives_a_hint_and_one_session_does_not(
    isolated_home: Path,
) -> None:
    hints = hints_of(planted_store(isolated_home))
    assert hints[MODULE].source in FIXED_SESSIONS
    assert "python -m scripts.report_" in hints[MODULE].fix
    assert hints[MODULE].sessions == 2
    assert hints[MODULE].projects == {"/work/app": 2}
    # The port error was got past in one session only; the stuck-only failures never.
    assert PORT not in hints
    assert "No matching distribution" not in " ".join(hints)


def test_a_bare_exit_code_never_gives_a_hint_however_often_it_was_got_past(isolated_home: Path) -> None:
    hints = hints_of(two_project_store(isolated_home))
    assert list(hints) == [MODULE]
    assert not any("Exit code" in key or "make check" in hint.fix for key, hint in hints.items())


def test_the_fix_most_sessions_used_leads_and_another_project_s_own_fix_comes_with_it(isolated_home: Path) -> None:
    hint = hints_of(two_project_store(isolated_home))[MODULE]
    assert hint.sessions == 5
    assert hint.projects == {"/work/beta": 3, "/work/alpha": 2}
    assert "PYTHONPATH=." in hint.fix
    (other,) = hint.others
    assert other.projects == {"/work/alpha": 2}
    assert "python -m scripts.a" in other.fix
    assert other.sessions == 2


def test_an_approved_skill_is_preferred_to_a_session_fix_and_one_on_a_generic_signature_is_ignored(
    isolated_home: Path,
) -> None:
    database = planted_store(isolated_home)
    skills = [
        Skill(
            id="S-001",
            cluster_key="k",
            name="run-as-module",
            description="Run scripts as modules",
            trigger="ModuleNotFoundError",
            steps=["python -m <package>.<script> from the repo root"],
            signatures=["Bash|exit1|" + MODULE],
            source_sessions=list(FIXED_SESSIONS),
            status="approved",
            success_rate=1.0,
            support=2,
        ),
        Skill(
            id="S-002",
            cluster_key="g",
            name="rerun",
            description="Run it again",
            trigger="a command failed",
            steps=["run it again"],
            signatures=["Bash|exit3|Exit code <n>"],
            status="approved",
        ),
    ]
    put_items(database, "skills", skills)
    with open_store(database, read_only=True) as store:
        hints = build_hints(MemoryIndex.build(store))
    assert hints[MODULE].source == "S-001"
    assert hints[MODULE].fix == "skill run-as-module: python -m <package>.<script> from the repo root"
    assert hints[MODULE].projects == {"/work/app": 2}
    assert [h.source for h in hints[MODULE].others] in ([FIXED_SESSIONS[0]], [FIXED_SESSIONS[1]])
    assert "Exit code <n>" not in hints


def test_the_signatures_with_the_most_sessions_are_kept_when_over_the_limit(isolated_home: Path) -> None:
    database = two_project_store(isolated_home)
    # Two sessions got past the busy port, each its own way: enough for a hint.
    projects = isolated_home / "ports"
    other_port = [*port_session(3001, fixed=False), Call("PORT=3002 npm start", "listening on port 3002")]
    for number, calls in enumerate((port_session(3000, fixed=True), other_port)):
        sid = f"d{number}000000-0000-4000-8000-000000000001"
        write_session(projects, sid, "serve", calls, cwd="/work/web", start=START + timedelta(days=number))
    ingest(database, projects)
    with open_store(database, read_only=True) as store:
        index = MemoryIndex.build(store)
    assert sorted(build_hints(index)) == sorted([MODULE, PORT])
    assert build_hints(index)[PORT].sessions == 2
    assert "PORT=3002 npm start" in build_hints(index)[PORT].fix
    assert list(build_hints(index, limit=1)) == [MODULE]


def test_the_file_is_private_versioned_replaced_whole_and_left_alone_when_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "home" / "hints.json"
    other = Hint(fix="python -m y", source="s2", sessions=2, projects={"/work/b": 2})
    hints = {MODULE: Hint(fix="python -m x", source="S-001", sessions=3, projects={"/work/a": 3}, others=[other])}
    assert write_hints(path, hints)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "version": HINTS_VERSION,
        "hints": {
            MODULE: {
                "fix": "python -m x",
                "source": "S-001",
                "sessions": 3,
                "projects": {"/work/a": 3},
                "others": [{"fix": "python -m y", "source": "s2", "sessions": 2, "projects": {"/work/b": 2}}],
            }
        },
    }
    assert HINTS_VERSION > 1
    assert not write_hints(path, hints)
    assert write_hints(path, {})
    assert json.loads(path.read_text(encoding="utf-8"))["hints"] == {}
    assert [p.name for p in path.parent.iterdir()] == ["hints.json"]
    assert render({}) == path.read_text(encoding="utf-8")


def test_the_hints_command_writes_the_file_the_hook_reads(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted_store(isolated_home)
    assert main(["hints"]) == 0
    assert "hints written in" in capsys.readouterr().out
    table = json.loads((isolated_home / "hints.json").read_text(encoding="utf-8"))["hints"]
    assert table[MODULE]["source"] in FIXED_SESSIONS
    assert main(["hints", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed[MODULE]["fix"] == table[MODULE]["fix"]
    assert printed[MODULE]["projects"] == table[MODULE]["projects"]
