"""`search` ranks as the `search_sessions` tool does; `show` gives the line that resumes a session."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from trajectory_miner.cli import main
from trajectory_miner.paths import resolve
from trajectory_miner.retrieval.answers import MAX_BUDGET
from trajectory_miner.retrieval.index import MemoryIndex
from trajectory_miner.retrieval.listing import search_sessions
from trajectory_miner.store import open_store

SID = "11111111-aaaa-4bbb-8ccc-000000000001"


@pytest.fixture
def ingested(every_entry_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    shutil.copytree(every_entry_dir, root / "-work-demo")
    assert main(["ingest", "--quiet"]) == 0
    capsys.readouterr()
    return resolve().database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def words_of_the_session(database: Path) -> str:
    with open_store(database, read_only=True) as store:
        [(prompt,)] = store.query("SELECT prompt FROM turns WHERE session_id = ? ORDER BY turn_index LIMIT 1", [SID])
    return " ".join(str(prompt).split()[:4])


def test_search_answers_what_the_mcp_tool_answers(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = words_of_the_session(ingested)
    with open_store(ingested, read_only=True) as store:
        expected = search_sessions(MemoryIndex.build(store), query, None, None, 10, MAX_BUDGET)

    code, out, _ = run(capsys, "search", *query.split(), "--json")

    assert code == 0
    assert json.loads(out) == expected.model_dump(mode="json")
    assert [line.id for line in expected.sessions] == [SID]
    code, out, _ = run(capsys, "search", *query.split())
    assert code == 0 and SID in out


def test_search_before_any_session_is_stored_says_the_history_is_empty(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "pytest")

    assert code == 0 and "history is empty" in out


def test_search_refuses_a_limit_outside_its_bounds(ingested: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["search", "x", "--limit", "0"])

    assert refused.value.code == 2
    assert "between 1 and" in capsys.readouterr().err


def test_show_prints_the_line_that_resumes_the_session_in_its_folder(
    ingested: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "show", SID[:8])
    _, as_json, _ = run(capsys, "show", SID[:8], "--json")

    assert code == 0
    resume = json.loads(as_json)["resume"]
    assert resume.endswith(f"claude --resume {SID}") and resume.startswith("cd /work/demo")
    assert out.rstrip().endswith(resume)
