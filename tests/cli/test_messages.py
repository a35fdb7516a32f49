"""What the commands say right after something happened: it must agree with what happened."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from trajectory_miner.cli import main

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"
FAILING = TRANSCRIPTS / "scoring_tests_still_failing_at_end.jsonl"
CLEAN = TRANSCRIPTS / "mining_clean_feature.jsonl"
SID = "11111111-aaaa-4bbb-8ccc-000000000001"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


def test_an_empty_skills_list_says_why_at_each_stage(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "skills", "list") == (
        0,
        "no skills yet: no sessions are stored (run `trajectory-miner ingest`)\n",
    )
    run(capsys, "ingest", "--quiet", str(FAILING))
    assert run(capsys, "skills", "list") == (0, "no skills yet: run `trajectory-miner mine`\n")

    code, mined = run(capsys, "mine")
    none_qualified = "no skills: no session scored at least 0.85 on every dimension (1 session mined)"
    assert code == 0 and f"\n{none_qualified}\n" in mined
    assert run(capsys, "skills", "list") == (0, none_qualified + "\n")

    run(capsys, "ingest", "--quiet", str(CLEAN))
    code, mined = run(capsys, "mine")
    one_without_procedure = (
        "no skills: 1 session scored at least 0.85 on every dimension, but none got past a failure and "
        "no sequence of steps recurred in two of them (2 sessions mined)"
    )
    assert code == 0 and f"\n{one_without_procedure}\n" in mined
    assert run(capsys, "skills", "list") == (0, one_without_procedure + "\n")
    assert run(capsys, "skills", "list", "--status", "approved") == (0, "no approved skills\n")
    assert run(capsys, "skills", "list", "--json") == (0, "[]\n")


def test_the_mining_report_gives_the_same_reason(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet", str(FAILING))
    code, out = run(capsys, "mine", "--json")
    report = json.loads(out)
    markdown = Path(os.environ["TRAJECTORY_MINER_HOME"], "reports").glob("mining-*.md")
    text = next(markdown).read_text(encoding="utf-8")
    assert code == 0 and report["skills"] == []
    assert "## Skill candidates\n\nNo session scored at least 0.85 on every dimension (1 session mined).\n" in text


def test_an_ingest_that_finds_no_transcripts_says_where_it_looked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    projects = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    assert run(capsys, "ingest") == (0, f"no transcripts under {projects}\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "ingest", str(empty)) == (0, f"no transcripts under {empty}\n")
    code, out = run(capsys, "ingest", "--json", str(empty))
    assert code == 0 and json.loads(out)["roots"] == [str(empty)]


def test_sessions_all_tells_a_subagent_run_from_its_parent_and_marks_it(
    every_entry_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects"
    shutil.copytree(every_entry_dir, projects / "-work-demo")
    run(capsys, "ingest", "--quiet")

    code, out = run(capsys, "sessions", "--all")
    header, *rows = out.splitlines()
    cells = [row.split()[:2] for row in rows]
    assert code == 0 and header.split()[:2] == ["session", "kind"]
    assert sorted(cells) == [["11111111-aaaa", "main"], ["11111111/agent-abc123", "subagent"]]

    code, out = run(capsys, "show", "11111111/agent-abc123", "--json")
    assert code == 0 and json.loads(out)["session_id"] == f"{SID}/agent-abc123"
    code, out = run(capsys, "sessions")
    assert [row.split()[0] for row in out.splitlines()[1:]] == ["11111111-aaaa"]


def test_score_of_a_session_with_no_turns_says_there_is_nothing_to_score(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = "eeeeeeee-0000-4000-8000-00000000000e"
    path = tmp_path / "p" / f"{empty}.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"type": "permission-mode", "permissionMode": "default", "sessionId": empty}) + "\n")
    run(capsys, "ingest", "--quiet", str(path))
    assert run(capsys, "score", empty) == (0, f"session {empty} has no turns: there is nothing to score\n")
    code, out = run(capsys, "sessions", "--json")
    assert code == 0 and [r.get("overall") for r in json.loads(out)] == [None]
