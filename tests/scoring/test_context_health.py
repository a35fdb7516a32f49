from collections.abc import Callable

import pytest
from scoring.builders import bash, event, evidence, session, tool

from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]


def test_a_small_session_is_healthy(card: Card) -> None:
    scored = card("clean_fix_tests_pass")
    assert scored.score("context_health") == 1.0 and not evidence(scored, "context_health")


def test_compaction_api_errors_and_oversized_or_cut_outputs_each_cost_health(card: Card) -> None:
    scored = card("noisy_context")
    facts = {e.fact.split(" (")[0].split(":")[0]: e for e in evidence(scored, "context_health")}
    assert set(facts) == {
        "context compacted",
        "API error",
        "Read output of 24,522 characters",
        "Bash output of 5,098 characters",
        "Bash output cut short by Claude Code",
    }
    assert facts["Read output of 24,522 characters"].step_index == 0
    assert facts["Bash output cut short by Claude Code"].step_index == 2
    # An output four times over the budget costs twice one just over it.
    big, over = facts["Read output of 24,522 characters"], facts["Bash output of 5,098 characters"]
    assert big.effect == pytest.approx(2 * over.effect, abs=1e-3)
    assert scored.score("context_health") < 0.3


def test_a_larger_output_budget_forgives_larger_outputs() -> None:
    big = session(tool("Read", file_path="/w/app.log", result="x" * 6000), bash("ls"))
    assert score_session(big).score("context_health") < 1.0
    assert score_session(big, output_budget=10_000).score("context_health") == 1.0


def test_one_compaction_weighs_less_in_a_long_session() -> None:
    compaction = (event("compaction", step=0),)
    short = session(bash("ls"), events=compaction)
    long = session(*(bash(f"ls d{i}") for i in range(40)), events=compaction)
    assert score_session(short).score("context_health") < score_session(long).score("context_health") < 1.0
