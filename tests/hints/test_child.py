"""`mine` writes the same live-hint table whether a child process catches the saved index up
or the command works the table out itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import trajectory_miner.hints.child as hint_child
from trajectory_miner.cli import main
from trajectory_miner.hints import build_hints, render
from trajectory_miner.paths import Paths, resolve
from trajectory_miner.retrieval import MemoryIndex
from trajectory_miner.retrieval.saved import RESAVE_AFTER, saved_path
from trajectory_miner.store import open_store

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
MINING = sorted(TRANSCRIPTS.glob("mining_*.jsonl"))


@pytest.fixture
def paths(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A store mined once (which saves the index), with live hints on and a child for any index."""
    paths = resolve()
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("live_hints = true\n", encoding="utf-8")
    assert main(["ingest", "--quiet", *map(str, MINING[:2])]) == 0
    assert main(["mine", "--json"]) == 0
    assert saved_path(paths.database).exists()
    monkeypatch.setattr(hint_child, "CHILD_FROM_BYTES", 0)
    capsys.readouterr()
    return paths


def _expected(paths: Paths) -> str:
    """The table of an index built afresh from the store."""
    with open_store(paths.database, read_only=True) as store:
        return render(build_hints(MemoryIndex.build(store)))


def _mine(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Run `mine`, returning what the child said when asked for the table (empty: never asked)."""
    said: list[bool] = []
    wait = hint_child.HintChild.wait

    def noted(child: hint_child.HintChild) -> bool:
        said.append(wait(child))
        return said[-1]

    monkeypatch.setattr(hint_child.HintChild, "wait", noted)
    assert main(["mine", "--json"]) == 0
    capsys.readouterr()
    return said


def test_the_child_catches_the_saved_index_up_with_new_sessions_and_approved_skills(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = paths.hints_file.read_text(encoding="utf-8")
    assert main(["ingest", "--quiet", *map(str, MINING[2:])]) == 0
    assert _mine(capsys, monkeypatch) == [True]
    written = paths.hints_file.read_text(encoding="utf-8")
    assert written == _expected(paths) and written != before and json.loads(written)["hints"]
    with open_store(paths.database, read_only=True) as store:
        skill = store.scalar("SELECT min(id) FROM skills")
    assert main(["skills", "approve", skill]) == 0
    capsys.readouterr()
    assert _mine(capsys, monkeypatch) == [True]
    written = paths.hints_file.read_text(encoding="utf-8")
    assert written == _expected(paths) and skill in written


def test_without_a_usable_saved_index_the_command_writes_the_table_itself(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_path(paths.database).write_bytes(b"not an index")
    saved_path(paths.database).chmod(0o600)
    assert main(["ingest", "--quiet", *map(str, MINING[2:])]) == 0
    assert _mine(capsys, monkeypatch) == []
    assert paths.hints_file.read_text(encoding="utf-8") == _expected(paths)


def test_a_small_saved_index_is_caught_up_in_the_command_itself(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hint_child, "CHILD_FROM_BYTES", 1 << 40)
    assert main(["ingest", "--quiet", *map(str, MINING[2:])]) == 0
    assert _mine(capsys, monkeypatch) == []
    assert paths.hints_file.read_text(encoding="utf-8") == _expected(paths)


def test_with_live_hints_off_no_child_starts(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths.config_file.write_text("live_hints = false\n", encoding="utf-8")
    paths.hints_file.unlink()
    started: list[Path] = []
    monkeypatch.setattr(hint_child.HintChild, "start", classmethod(lambda cls, database: started.append(database)))
    assert _mine(capsys, monkeypatch) == []
    assert not paths.hints_file.exists() and not started


def test_the_index_path_is_the_saved_index_path() -> None:
    database = Path("/data/miner.duckdb")
    assert hint_child.index_path(database) == saved_path(database)


def test_after_a_forget_the_table_holds_only_what_the_store_still_has(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(paths.database, read_only=True) as store:
        gone = store.scalar("SELECT min(session_id) FROM sessions")  # one the saved index holds
    assert main(["ingest", "--quiet", *map(str, MINING[2:])]) == 0
    assert main(["forget", gone, "--yes"]) == 0
    capsys.readouterr()
    assert _mine(capsys, monkeypatch) == [True]
    assert paths.hints_file.read_text(encoding="utf-8") == _expected(paths)


def test_a_child_too_far_behind_gives_the_table_back_to_the_command(
    paths: Paths, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = hint_child._job

    def far_behind(*args: Any) -> tuple[Any, ...]:
        messages, *rest = job(*args)
        unknown = [f"s{n}" for n in range(RESAVE_AFTER + 1)]
        return ([*messages, ("changed", (unknown, 0))], *rest)

    monkeypatch.setattr(hint_child, "_job", far_behind)
    assert main(["ingest", "--quiet", *map(str, MINING[2:])]) == 0
    assert _mine(capsys, monkeypatch) == [False]
    assert paths.hints_file.read_text(encoding="utf-8") == _expected(paths)
