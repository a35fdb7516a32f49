from collections.abc import Callable

from scoring.builders import bash, evidence, session, steps_of, tool

from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]


def test_file_work_through_bash_is_misrouted_at_each_step(card: Card) -> None:
    scored = card("bash_for_file_work")
    items = evidence(scored, "routing_accuracy")
    assert steps_of(items) == [2, 3, 4, 5]
    assert [e.fact.split(" where ")[1] for e in items] == ["Glob exists", "Read exists", "Grep exists", "Edit exists"]
    assert scored.score("routing_accuracy") < 0.5 < card("clean_fix_tests_pass").score("routing_accuracy")


def test_grep_and_find_are_fair_when_the_session_never_uses_grep_or_glob() -> None:
    scored = score_session(session(bash('grep -rn "def main" src'), bash('find . -name "*.py"'), bash("cat a.py")))
    assert [e.fact for e in evidence(scored, "routing_accuracy")] == ["read a file with `cat` where Read exists"]


def test_grep_filtering_another_commands_output_is_not_a_search() -> None:
    scored = score_session(session(tool("Grep", pattern="x"), bash("python -m pytest 2>&1 | grep FAILED")))
    assert scored.score("routing_accuracy") == 1.0


def test_calling_a_tool_the_session_does_not_offer_is_misrouted(card: Card) -> None:
    [item] = evidence(card("unavailable_tool_called"), "routing_accuracy")
    assert item.step_index == 0 and item.fact == "called Grep, which this session does not offer"


def test_a_long_search_inline_is_flagged_at_its_first_step(card: Card) -> None:
    [item] = evidence(card("long_inline_search"), "routing_accuracy")
    assert item.step_index == 0 and "14 look-only calls" in item.fact


def test_a_subagent_doing_a_long_search_is_doing_its_job() -> None:
    reads = [tool("Read", file_path=f"/w/f{i}.py") for i in range(15)]
    assert score_session(session(*reads, sidechain=True)).score("routing_accuracy") == 1.0
    reads = [tool("Read", file_path=f"/w/f{i}.py") for i in range(15)]
    assert score_session(session(*reads)).score("routing_accuracy") < 1.0
