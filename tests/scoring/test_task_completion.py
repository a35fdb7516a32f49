from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from scoring.builders import bash, evidence, session, steps_of, tool

from trajectory_miner.feedback.verdicts import Feedback
from trajectory_miner.model import Turn
from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard
from trajectory_miner.scoring.completion import is_correction

Card = Callable[..., Scorecard]


def _feedback(verdict: str, note: str = "") -> Feedback:
    return Feedback.model_validate(
        {
            "feedback_id": "F-1",
            "target_id": "s",
            "verdict": verdict,
            "note": note,
            "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        }
    )


def test_a_last_test_run_that_passes_completes_the_task(card: Card) -> None:
    scored = card("clean_fix_tests_pass")
    assert scored.score("task_completion") == 1.0
    [credit] = evidence(scored, "task_completion")
    assert credit.effect > 0 and credit.step_index == 2 and "pytest" in credit.fact


def test_tests_still_failing_at_the_end_sink_completion_and_point_at_the_last_run(card: Card) -> None:
    scored = card("tests_still_failing_at_end")
    assert scored.score("task_completion") < 0.3 < card("clean_fix_tests_pass").score("task_completion")
    items = evidence(scored, "task_completion")
    assert all(e.effect < 0 for e in items)
    assert 2 in steps_of(items)
    assert any("could not" in e.fact for e in items)


def test_a_user_correction_lowers_completion_and_points_at_the_corrected_turn(card: Card) -> None:
    scored = card("user_correction_then_fixed")
    assert scored.score("task_completion") < card("clean_fix_tests_pass").score("task_completion")
    [correction] = [e for e in evidence(scored, "task_completion") if e.effect < 0]
    assert correction.turn_index == 0 and "still fails" in correction.fact
    turns = {t.turn_index: t.dimensions["task_completion"] for t in scored.turns}
    assert turns[0] < turns[1]


def test_an_interrupt_lowers_completion_at_the_interrupted_step(card: Card) -> None:
    scored = card("interrupted_during_command")
    items = evidence(scored, "task_completion")
    interrupt = next(e for e in items if "interrupted" in e.fact)
    assert (interrupt.turn_index, interrupt.step_index) == (0, 0)
    assert scored.score("task_completion") < 0.5


def test_a_session_ending_on_a_failure_nobody_got_past_loses_completion(card: Card) -> None:
    fixed, stuck = card("script_error_fixed_no_tests"), card("script_error_never_fixed")
    assert stuck.score("task_completion") < fixed.score("task_completion")
    assert any("nobody got past" in e.fact and e.step_index == 2 for e in evidence(stuck, "task_completion"))


def test_good_feedback_lifts_completion_and_bad_feedback_sinks_it(card: Card) -> None:
    assert card("tests_still_failing_at_end", feedback=_feedback("good")).score("task_completion") >= 0.95
    sunk = card("clean_fix_tests_pass", feedback=_feedback("bad", "wrong file"))
    assert sunk.score("task_completion") <= 0.05
    assert any("wrong file" in e.fact for e in evidence(sunk, "task_completion"))


def test_files_changed_after_the_last_passing_run_earn_less_credit() -> None:
    checked = session(tool("Edit", file_path="/w/a.py"), bash("pytest", "2 passed in 0.1s"))
    unchecked = session(bash("pytest", "2 passed in 0.1s"), tool("Edit", file_path="/w/a.py"))
    assert score_session(unchecked).score("task_completion") < score_session(checked).score("task_completion")


def test_prose_changed_after_the_last_passing_run_does_not_count_against_it() -> None:
    noted = session(bash("pytest", "2 passed in 0.1s"), tool("Edit", file_path="/w/README.md"))
    assert score_session(noted).score("task_completion") == 1.0


@pytest.mark.parametrize(
    ("prompt", "correcting"),
    [
        ("That's wrong, it still fails when I run the tests.", True),
        ("no, use the other config file", True),
        ("It still doesn't work", True),
        ("please revert that change", True),
        ("You forgot the migration.", True),
        ("Now add a goodbye function", False),
        ("Nobody uses the old endpoint; remove it", False),
        ("Can you also show me how to write a decorator?", False),
    ],
)
def test_is_correction_recognises_a_user_pushing_back(prompt: str, correcting: bool) -> None:
    assert is_correction(Turn(session_id="s", turn_index=1, uuid="u", prompt=prompt)) is correcting
