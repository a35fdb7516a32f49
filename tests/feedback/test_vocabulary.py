"""One vocabulary for verdicts: good and bad are stored and shown; helpful and harmful are taken for them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from scoring.builders import TRANSCRIPTS

from trajectory_miner.cli import main
from trajectory_miner.feedback.verdicts import canonical_verdict, latest_feedback, list_feedback, record_feedback
from trajectory_miner.store import open_store

SESSION = "5c0e0000-0000-4000-8000-000000000003"


@pytest.mark.parametrize(
    ("word", "stored"), [("good", "good"), ("bad", "bad"), ("helpful", "good"), ("harmful", "bad")]
)
def test_either_word_is_stored_as_good_or_bad(tmp_path: Path, word: str, stored: str) -> None:
    assert canonical_verdict(word) == stored
    with open_store(tmp_path / "m.duckdb") as store:
        assert record_feedback(store, "s1", word).verdict == stored
        assert store.query("SELECT verdict FROM feedback") == [(stored,)]


@pytest.mark.parametrize("word", ["Good", "great", "", "helpful "])
def test_other_words_are_refused(word: str) -> None:
    with pytest.raises(ValueError, match="good or bad"):
        canonical_verdict(word)


def test_a_row_stored_with_an_alias_reads_back_as_good_or_bad(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        store.execute("INSERT INTO feedback VALUES ('F-1', 's1', 'session', 'harmful', '', now()::TIMESTAMP)")
        assert [f.verdict for f in list_feedback(store)] == ["bad"]
        assert latest_feedback(store)["s1"].verdict == "bad"


def test_the_feedback_command_takes_an_alias_and_answers_in_good_or_bad(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = Path(os.environ["CLAUDE_CONFIG_DIR"]) / "projects" / "-work-demo"
    root.mkdir(parents=True)
    shutil.copy(TRANSCRIPTS / "scoring_tests_still_failing_at_end.jsonl", root / f"{SESSION}.jsonl")
    assert main(["ingest", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["feedback", SESSION, "helpful", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["feedback"]["verdict"] == "good" and answer["outcome"] == "success"
