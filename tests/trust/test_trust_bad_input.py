"""Bad input to every command: one clear line on stderr, exit 2, no traceback, nothing written astray.

Each case runs in a sandbox whose working folder is `sandbox/a/b`, so `../../x` stays inside
the test's temporary folder; after it, nothing in the sandbox may have changed except the data
home and the target the command was given.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from trustkit import MINING, run_cli, snapshot, written_astray

from trajectory_miner.cli import build_parser
from trajectory_miner.mining.items import Skill, save_items
from trajectory_miner.paths import resolve
from trajectory_miner.store import open_store

BIG = "x" * 10_000_000
CONTROL = "\x1b[2J\x07\x08\x1b]0;owned\x07"
MAX_LINE = 300
UNKNOWN = "0000dead-beef-4bad-8bad-000000000000"

# (argv, exit code, the targets in the sandbox it may write). Paths are relative to sandbox/a/b.
CASES: list[tuple[list[str], int, tuple[str, ...]]] = [
    (["ingest", "no/such/file.jsonl"], 2, ()),
    (["ingest", BIG], 2, ()),
    (["ingest", CONTROL], 2, ()),
    (["ingest", "--from-parquet", "../../etc/passwd"], 2, ()),
    (["sessions", "--since", "2026-13-45"], 2, ()),
    (["sessions", "--limit", "-5"], 2, ()),
    (["sessions", "--project", BIG], 2, ()),
    (["sessions", "--project", CONTROL], 2, ()),
    (["show", UNKNOWN], 2, ()),
    (["show", BIG], 2, ()),
    (["show", CONTROL], 2, ()),
    (["search", BIG], 2, ()),
    (["search", CONTROL], 2, ()),
    (["search", "pytest", "--limit", "0"], 2, ()),
    (["search", "pytest", "--outcome", "weird"], 2, ()),
    (["search", "pytest", "--project", BIG], 2, ()),
    (["score", UNKNOWN], 2, ()),
    (["score", BIG], 2, ()),
    (["rescore", "everything"], 2, ()),
    (["feedback", UNKNOWN, "good"], 2, ()),
    (["feedback", "c15521b1", "meh"], 2, ()),
    (["feedback", "c15521b1", "good", "--note", BIG], 2, ()),
    (["serve", "--port", "8080"], 2, ()),
    (["hints", "everything"], 2, ()),
    (["mine", "--since", "yesterday"], 2, ()),
    (["mine", "--project", BIG], 2, ()),
    (["mine", "--out", BIG], 2, ()),
    (["skills", "list", "--status", "weird"], 2, ()),
    (["skills", "show", "S-999"], 2, ()),
    (["skills", "show", "../../etc/passwd"], 2, ()),
    (["skills", "show", BIG], 2, ()),
    (["skills", "approve", "S-999"], 2, ()),
    (["skills", "approve", BIG], 2, ()),
    (["skills", "reject", "../x"], 2, ()),
    (["skills", "retire", CONTROL], 2, ()),
    (["skills", "reopen", "S-999"], 2, ()),
    (["skills", "export", "../../x"], 2, ()),
    (["skills", "export", "--dir", BIG], 2, ()),
    (["skills", "export", "--dir", "../../etc"], 0, ("etc",)),
    (["report", "--since", "2026-02-30"], 2, ()),
    (["report", "--out", BIG], 2, ()),
    (["report", "--project", CONTROL], 2, ()),
    (["report", "--out", "../../report.html"], 0, ("report.html",)),
    (["export", "parquet", BIG], 2, ()),
    (["export", "parquet", "../../etc/passwd"], 2, ()),
    (["export", "dataset", "../..", "--min-score", "0.5"], 2, ()),
    (["export", "dataset", "x.jsonl", "--min-score", "2"], 2, ()),
    (["export", "dataset", BIG], 2, ()),
    (["forget", UNKNOWN, "--yes"], 2, ()),
    (["forget", BIG, "--yes"], 2, ()),
    (["forget", CONTROL, "--yes"], 2, ()),
    (["forget", "--project", BIG, "--yes"], 2, ()),
    (["forget", "--before", "2026-99-01", "--yes"], 2, ()),
    (["forget", "--yes"], 2, ()),
    (["forget", "c15521b1", "--project", "shop", "--yes"], 2, ()),
    (["forget", "--finish", "c15521b1"], 2, ()),
    (["doctor", "--fix"], 2, ()),
]


def _case_id(case: tuple[list[str], int, tuple[str, ...]]) -> str:
    argv = case[0]
    shown = ["<10MB>" if a == BIG else "<control>" if a == CONTROL else a for a in argv]
    return " ".join(shown)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data home with the mining story ingested, scored and mined, and one skill approved."""
    root = tmp_path_factory.mktemp("bad-input-template")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAJECTORY_MINER_HOME", str(root / "home"))
        patch.setenv("CLAUDE_CONFIG_DIR", str(root / "claude"))
        paths = resolve()
        paths.projects.mkdir(parents=True)
        for fixture in MINING:
            shutil.copy(fixture, paths.projects / fixture.name)
        from trajectory_miner.cli import main

        assert main(["ingest", "--quiet"]) == 0
        assert main(["mine", "--json"]) == 0
        assert main(["skills", "approve", "S-001"]) == 0
    return root


@pytest.fixture
def sandbox(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The template copied into this test's home; the working folder two levels inside the sandbox."""
    paths = resolve()
    shutil.copytree(template / "home", paths.home)
    shutil.copytree(template / "claude" / "projects", paths.projects, dirs_exist_ok=True)
    box = tmp_path / "sandbox"
    (box / "a" / "b").mkdir(parents=True)
    (box / "etc").mkdir()
    (box / "etc" / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    monkeypatch.chdir(box / "a" / "b")
    yield box


def _problems_with_stderr(err: str) -> list[str]:
    problems: list[str] = []
    if "Traceback" in err:
        problems.append("a traceback")
    controls = sorted({hex(ord(c)) for c in err if (ord(c) < 32 and c != "\n") or ord(c) == 127})
    if controls:
        problems.append(f"raw control characters {controls}")
    # argparse's usage lines come first, indented when wrapped; the error is what follows them.
    said = [line for line in err.splitlines() if line.strip() and not line.startswith(("usage:", " "))]
    if len(said) != 1:
        problems.append(f"{len(said)} error lines")
    elif len(said[0]) > MAX_LINE:
        problems.append(f"an error line of {len(said[0]):,} characters")
    return problems


@pytest.mark.parametrize(("argv", "code", "targets"), CASES, ids=[_case_id(c) for c in CASES])
def test_bad_input_gets_one_clear_line_and_nothing_is_written_outside_the_target(
    sandbox: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, targets: tuple[str, ...]
) -> None:
    root = sandbox.parent
    allowed = [resolve().home, *(sandbox / t for t in targets)]
    before = snapshot(root)

    got, _out, err = run_cli(argv, capsys)

    assert got == code, err[:500]
    if code:
        assert _problems_with_stderr(err) == [], err[:500]
    assert written_astray(before, root, allowed) == []
    for target in targets:
        assert (sandbox / target).exists()


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _commands(sub, (*prefix, name))
                found |= nested or {(*prefix, name)}
    return found


def test_every_command_has_bad_input_cases() -> None:
    covered = {tuple(argv[:2]) if argv[0] in ("skills", "export") else (argv[0],) for argv, _code, _t in CASES}

    assert _commands(build_parser()) - covered == set()


def test_a_skill_whose_name_climbs_out_is_written_inside_the_export_folder_only(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(resolve().database) as store:
        save_items(
            store,
            "skills",
            [
                Skill(
                    id="S-900",
                    cluster_key="crafted:climb",
                    name="../../../escaped",
                    description="Run the tests after installing dependencies.",
                    trigger="tests fail with jest: not found",
                    steps=["Run `npm install`", "Run `npm test`"],
                    status="approved",
                )
            ],
        )
    before = snapshot(sandbox.parent)

    code, _out, err = run_cli(["skills", "export", "S-900", "--dir", "../../skills-out"], capsys)

    assert code in (0, 1), err
    assert written_astray(before, sandbox.parent, [resolve().home, sandbox / "skills-out"]) == []
    assert list((sandbox / "skills-out").rglob("SKILL.md"))
