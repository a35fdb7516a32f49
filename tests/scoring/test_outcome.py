from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from scoring.builders import bash, session, tool

from trajectory_miner.feedback.verdicts import Feedback
from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]


@pytest.mark.parametrize(
    ("fixture", "outcome", "source"),
    [
        ("clean_fix_tests_pass", "success", "tests"),
        ("failure_fixed_after_two_steps", "success", "tests"),
        ("tests_still_failing_at_end", "failure", "tests"),
        ("same_failing_command_repeated", "failure", "tests"),
        ("user_correction_then_fixed", "partial", "tests"),
        ("interrupted_during_command", "failure", "heuristic"),
        ("script_error_fixed_no_tests", "success", "heuristic"),
        ("script_error_never_fixed", "failure", "heuristic"),
        ("skill_ignored", "partial", "heuristic"),
        ("skill_followed", "success", "tests"),
    ],
)
def test_the_outcome_label_follows_the_most_trusted_evidence(
    card: Card, fixture: str, outcome: str, source: str
) -> None:
    scored = card(fixture)
    assert (scored.outcome, scored.outcome_source) == (outcome, source)
    assert 0.0 < scored.outcome_confidence < 1.0 and scored.outcome_reason


def test_explicit_feedback_outranks_the_tests(card: Card) -> None:
    verdict = Feedback.model_validate(
        {
            "feedback_id": "F-1",
            "target_id": "s",
            "verdict": "good",
            "note": "flaky test",
            "created_at": datetime.now(UTC),
        }
    )
    scored = card("tests_still_failing_at_end", feedback=verdict)
    assert (scored.outcome, scored.outcome_source) == ("success", "feedback")
    assert "flaky test" in scored.outcome_reason
    assert scored.outcome_confidence > card("tests_still_failing_at_end").outcome_confidence


def test_a_session_without_tool_calls_is_unknown() -> None:
    assert score_session(session()).outcome == "unknown"


def test_a_session_that_only_looked_around_is_unknown_not_a_success() -> None:
    scored = score_session(session(tool("Read", file_path="/w/a.py"), bash("ls")))
    assert scored.outcome == "unknown"


def test_code_changed_after_the_last_passing_run_is_only_partial() -> None:
    scored = score_session(session(bash("pytest", "3 passed in 0.1s"), tool("Edit", file_path="/w/a.py")))
    assert scored.outcome == "partial" and "changed after" in scored.outcome_reason


def test_mixed_signs_lean_to_failure_not_success() -> None:
    scored = score_session(
        session(tool("Edit", file_path="/w/a.py"), bash("python app.py", "Traceback\nKeyError: 'x'", code=1))
    )
    assert scored.outcome == "failure"


def test_work_found_already_done_is_a_success_only_when_nothing_was_changed() -> None:
    clean = "On branch main\nnothing to commit, working tree clean"
    only_found = score_session(session(bash("git status"), bash("git commit -am 'update'", clean, code=1)))
    assert (only_found.outcome, only_found.outcome_source) == ("success", "heuristic")
    assert "already done" in only_found.outcome_reason
    changed = score_session(
        session(
            tool("Edit", file_path="/w/a.py", old_string="x = 1", new_string="x = 2"),
            bash("git commit -am 'update'", clean, code=1),
        )
    )
    assert "already done" not in changed.outcome_reason
