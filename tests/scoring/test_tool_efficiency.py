from collections.abc import Callable

import pytest
from scoring.builders import bash, event, evidence, session, steps_of, tool

from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]


def test_a_clean_session_wastes_nothing(card: Card) -> None:
    scored = card("clean_fix_tests_pass")
    assert scored.score("tool_efficiency") == 1.0 and not evidence(scored, "tool_efficiency")


def test_rereads_repeated_listings_and_reruns_are_each_wasted_calls(card: Card) -> None:
    scored = card("rereads_and_repeated_runs")
    items = evidence(scored, "tool_efficiency")
    assert steps_of(items) == [1, 3, 5, 7]
    assert "again, unchanged since step 0" in items[0].fact
    assert "read back calc.py" in items[2].fact
    # Reading back a file just edited costs half of a plain re-read.
    assert items[2].effect == pytest.approx(items[0].effect / 2, abs=1e-3)
    assert scored.score("tool_efficiency") < 0.6


def test_the_same_failing_command_repeated_with_nothing_changed_is_waste(card: Card) -> None:
    scored = card("same_failing_command_repeated")
    items = evidence(scored, "tool_efficiency")
    assert steps_of(items) == [1, 2, 3] and all("same failing call" in e.fact for e in items)


def test_an_undone_edit_is_waste_pointing_at_the_undo(card: Card) -> None:
    [undo] = evidence(card("edit_undone"), "tool_efficiency")
    assert undo.step_index == 2 and "undid the edit of step 1" in undo.fact


def test_an_edit_in_between_makes_a_rerun_fair() -> None:
    rerun = session(bash("pytest", "1 failed in 0.1s", code=1), tool("Edit", file_path="/w/a.py"), bash("pytest"))
    assert score_session(rerun).score("tool_efficiency") == 1.0


def test_reading_again_after_a_compaction_is_fair() -> None:
    steps = (tool("Read", file_path="/w/a.py"), tool("Read", file_path="/w/a.py"))
    plain = score_session(session(*steps))
    compacted = score_session(
        session(
            tool("Read", file_path="/w/a.py"),
            tool("Read", file_path="/w/a.py"),
            events=(event("compaction", step=0),),
        )
    )
    assert plain.score("tool_efficiency") < compacted.score("tool_efficiency") == 1.0


def test_cat_then_read_of_the_same_unchanged_file_is_a_reread() -> None:
    scored = score_session(session(bash("cat a.py", "x = 1"), tool("Read", file_path="/work/demo/a.py")))
    assert steps_of(evidence(scored, "tool_efficiency")) == [1]


def test_one_wasted_call_weighs_less_in_a_long_session() -> None:
    short = session(tool("Read", file_path="/w/a.py"), tool("Read", file_path="/w/a.py"))
    long = session(
        *(tool("Read", file_path=f"/w/f{i}.py") for i in range(30)),
        tool("Read", file_path="/w/a.py"),
        tool("Read", file_path="/w/a.py"),
    )
    assert score_session(short).score("tool_efficiency") < score_session(long).score("tool_efficiency") < 1.0
