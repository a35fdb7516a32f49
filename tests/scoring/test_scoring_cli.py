import json
import os
import shutil
from pathlib import Path

import pytest
from scoring.builders import TRANSCRIPTS

from trajectory_miner.cli import main

FAILING = "5c0e0000-0000-4000-8000-000000000003"
CLEAN = "5c0e0000-0000-4000-8000-000000000001"


@pytest.fixture
def projects() -> Path:
    """Two scoring fixtures in the Claude config folder of this test."""
    root = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / "-work-demo"
    root.mkdir(parents=True)
    for name, sid in (("tests_still_failing_at_end", FAILING), ("clean_fix_tests_pass", CLEAN)):
        shutil.copy(TRANSCRIPTS / f"scoring_{name}.jsonl", root / f"{sid}.jsonl")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_scores_the_sessions_it_touched_and_sessions_json_shows_the_scores(
    projects: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "sessions", "--json")
    rows = {r["session_id"]: r for r in json.loads(out)}
    assert code == 0 and set(rows) == {FAILING, CLEAN}
    assert (rows[FAILING]["outcome"], rows[CLEAN]["outcome"]) == ("failure", "success")
    assert rows[FAILING]["overall"] < rows[CLEAN]["overall"]
    assert rows[FAILING]["scores"]["task_completion"] < 0.3 and rows[FAILING]["outcome_source"] == "tests"


def test_score_prints_the_card_with_rules_and_evidence(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "score", FAILING, "--turns")
    assert code == 0
    assert "outcome failure" in out and "last pytest run failed" in out
    assert "rule: Starts at 0.75" in out and "turn 0 step 2" in out
    assert "turn  overall" in out


def test_score_json_is_the_card(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "score", CLEAN, "--json")
    card = json.loads(out)
    assert code == 0 and card["session_id"] == CLEAN and card["outcome"] == "success"
    assert card["dimensions"]["task_completion"]["evidence"][0]["step_index"] == 2


def test_score_of_an_unknown_session_fails_with_a_hint(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, _, err = run(capsys, "score", "ffff")
    assert code == 2 and "trajectory-miner sessions" in err


def test_rescore_recomputes_every_card(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "rescore", "--json")
    result = json.loads(out)
    assert code == 0 and result["sessions"] == 2 and result["scorer_version"]
    code, out, _ = run(capsys, "rescore", "--stale", "--json")
    assert json.loads(out)["sessions"] == 0
    code, out, _ = run(capsys, "rescore")
    assert out.startswith("scored 2 sessions")


def test_feedback_records_the_verdict_and_rescores_the_session(
    projects: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "ingest", "--quiet")
    code, out, _ = run(capsys, "feedback", FAILING, "good", "--note", "the test is flaky")
    assert code == 0 and "outcome now success" in out
    code, out, _ = run(capsys, "sessions", "--json")
    row = next(r for r in json.loads(out) if r["session_id"] == FAILING)
    assert (row["outcome"], row["outcome_source"]) == ("success", "feedback")


def test_feedback_refuses_a_verdict_other_than_good_or_bad(projects: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "ingest", "--quiet")
    with pytest.raises(SystemExit):
        main(["feedback", FAILING, "meh"])
