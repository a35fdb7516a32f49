from collections.abc import Callable

from scoring.builders import bash, evidence, session, steps_of, tool

from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]

FAIL = "FAILED test_a.py::test_x - assert 1 == 2\n1 failed, 1 passed in 0.1s"


def test_a_failure_fixed_within_a_few_steps_is_full_recovery(card: Card) -> None:
    scored = card("failure_fixed_after_two_steps")
    assert scored.score("error_recovery") == 1.0
    [item] = evidence(scored, "error_recovery", moving=False)
    assert item.step_index == 0 and "got past 3 steps later" in item.fact


def test_the_same_failure_again_and_again_sinks_recovery(card: Card) -> None:
    scored = card("same_failing_command_repeated")
    items = evidence(scored, "error_recovery")
    assert steps_of(items) == [0, 1, 2, 3]
    assert "came back at step 1" in items[0].fact and "never got past" in items[-1].fact
    assert scored.score("error_recovery") < 0.3


def test_a_failure_never_got_past_halves_recovery() -> None:
    scored = score_session(session(tool("Read", file_path="/w/a.py"), bash("python app.py", "Boom", code=1)))
    assert scored.score("error_recovery") == 0.5


def test_a_fix_that_takes_many_steps_costs_half_a_failure() -> None:
    slow = session(
        bash("pytest", FAIL, code=1),
        *(tool("Read", file_path=f"/w/f{i}.py") for i in range(8)),
        bash("pytest", "2 passed in 0.1s"),
    )
    scored = score_session(slow)
    [item] = evidence(scored, "error_recovery")
    assert "only 9 steps later" in item.fact and scored.score("error_recovery") == 0.75


def test_a_failing_check_is_got_past_only_by_the_same_check_passing() -> None:
    other = score_session(session(bash("pytest", FAIL, code=1), bash("python app.py", "ok")))
    same = score_session(session(bash("pytest", FAIL, code=1), bash("python -m pytest", "2 passed in 0.1s")))
    assert other.score("error_recovery") < same.score("error_recovery") == 1.0


def test_a_tool_that_does_not_exist_is_got_past_by_any_working_call(card: Card) -> None:
    assert card("unavailable_tool_called").score("error_recovery") == 1.0


def test_grep_finding_nothing_is_not_a_failure(card: Card) -> None:
    items = evidence(card("script_error_fixed_no_tests"), "error_recovery", moving=False)
    assert steps_of(items) == [1] and "JSONDecodeError" in items[0].fact


def test_a_call_the_user_rejected_is_not_a_failure_to_recover_from(card: Card) -> None:
    assert card("interrupted_during_command").score("error_recovery") == 1.0


def test_a_session_without_failures_says_so() -> None:
    [item] = evidence(score_session(session(bash("ls"))), "error_recovery", moving=False)
    assert item.fact == "no failed calls"
