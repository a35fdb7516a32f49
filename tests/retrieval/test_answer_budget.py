"""Answers fit their token budget: detail goes first, then entries, and the answer says so."""

from __future__ import annotations

from trajectory_miner.retrieval.answers import (
    MAX_BUDGET,
    MIN_BUDGET,
    ReplayAnswer,
    ReplayHit,
    SessionLine,
    SessionList,
    clamp_budget,
    fit,
    size,
)


def hit(number: int, width: int = 200) -> ReplayHit:
    return ReplayHit(
        id=f"s{number}#1",
        kind="session",
        summary="x" * width,
        tried=["t" * width] * 3,
        worked_next=["w" * width] * 5,
        reasons=["r" * 60] * 6,
        session_ids=[f"s{number}"] * 5,
        confidence=0.5,
    )


def drop_reasons(entry: ReplayHit) -> None:
    del entry.reasons[1:]


def test_an_answer_within_budget_is_left_alone() -> None:
    answer = ReplayAnswer(hits=[hit(1, 20)])
    before = answer.model_dump()
    assert fit(answer, 1500, "hits").model_dump() == before


def test_an_answer_over_budget_loses_detail_before_entries() -> None:
    answer = ReplayAnswer(hits=[hit(n) for n in range(2)])
    budget = size(answer) - 50
    fitted = fit(answer, budget, "hits", (drop_reasons,))
    assert size(fitted) <= budget
    assert len(fitted.hits) == 2
    assert all(len(h.reasons) == 1 for h in fitted.hits)
    assert fitted.truncated


def test_entries_are_dropped_from_the_end_and_the_note_says_how_many() -> None:
    answer = SessionList(
        sessions=[
            SessionLine(id=f"s{n}", project="p", date="", title="t" * 300, outcome="unknown", steps=1, errors=0)
            for n in range(30)
        ]
    )
    fitted = fit(answer, 500, "sessions")
    assert size(fitted) <= 500
    assert fitted.truncated
    assert fitted.sessions[0].id == "s0"
    assert f"{30 - len(fitted.sessions)} more sessions left out" in fitted.note


def test_a_single_huge_entry_is_shortened_rather_than_breaking_the_budget() -> None:
    answer = ReplayAnswer(hits=[hit(1, 20_000)])
    fitted = fit(answer, MIN_BUDGET, "hits")
    assert size(fitted) <= MIN_BUDGET
    assert fitted.truncated
    assert len(fitted.hits) == 1
    assert fitted.hits[0].id == "s1#1"


def test_requested_budgets_are_clamped_to_the_allowed_range() -> None:
    assert clamp_budget(None) == 1500
    assert clamp_budget(10) == MIN_BUDGET
    assert clamp_budget(10**9) == MAX_BUDGET
    assert clamp_budget(2500) == 2500
