from datetime import UTC, datetime

import pytest
from skillkit import make_skill, put_skills

from trajectory_miner.mining.items import load_skills
from trajectory_miner.skills.lifecycle import (
    TRANSITIONS,
    SkillNotFound,
    TransitionError,
    approve,
    change_status,
    reject,
    reopen,
    retire,
    retirement_proposed,
    skill_events,
)
from trajectory_miner.store import Store

STATUSES = sorted(TRANSITIONS)
LEGAL = [(a, b) for a in STATUSES for b in sorted(TRANSITIONS[a])]
ILLEGAL = [(a, b) for a in STATUSES for b in STATUSES if b not in TRANSITIONS[a]]


@pytest.mark.parametrize(("start", "end"), LEGAL)
def test_every_legal_transition_changes_the_stored_status_and_records_an_event(
    store: Store, start: str, end: str
) -> None:
    put_skills(store, make_skill(status=start))
    at = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    skill, event = change_status(store, "S-001", end, "because", now=at)  # type: ignore[arg-type]
    assert skill.status == end
    assert [s.status for s in load_skills(store)] == [end]
    events = skill_events(store, "S-001")
    assert [(e.from_status, e.to_status, e.reason, e.occurred_at) for e in events] == [(start, end, "because", at)]
    assert events[0] == event


@pytest.mark.parametrize(("start", "end"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(store: Store, start: str, end: str) -> None:
    put_skills(store, make_skill(status=start))
    with pytest.raises(TransitionError, match="S-001"):
        change_status(store, "S-001", end)  # type: ignore[arg-type]
    assert [s.status for s in load_skills(store)] == [start]
    assert skill_events(store) == []


@pytest.mark.parametrize(
    ("start", "end", "advice"),
    [
        ("candidate", "exported", "approve it before exporting"),
        ("rejected", "approved", "reopen it"),
        ("retired", "approved", "reopen it"),
        ("exported", "rejected", "retire it instead"),
        ("approved", "approved", "already approved"),
    ],
)
def test_a_refused_transition_says_what_to_do_instead(store: Store, start: str, end: str, advice: str) -> None:
    put_skills(store, make_skill(status=start))
    with pytest.raises(TransitionError, match=advice):
        change_status(store, "S-001", end)  # type: ignore[arg-type]


def test_a_skill_goes_through_its_whole_life_with_every_step_in_its_history(store: Store) -> None:
    put_skills(store, make_skill())
    approve(store, "s-001")
    change_status(store, "S-001", "exported", "exported to /tmp/x")
    retire(store, "S-001", "stopped helping")
    reopen(store, "S-001")
    reject(store, "S-001")
    history = [(e.from_status, e.to_status) for e in skill_events(store, "S-001")]
    assert history == [
        ("candidate", "approved"),
        ("approved", "exported"),
        ("exported", "retired"),
        ("retired", "candidate"),
        ("candidate", "rejected"),
    ]
    reasons = [e.reason for e in skill_events(store, "S-001")]
    assert reasons[1:3] == ["exported to /tmp/x", "stopped helping"]
    assert all(reasons)


def test_a_status_change_keeps_the_miner_fields_and_counters(store: Store) -> None:
    put_skills(store, make_skill(uses=4, successes=3, steps=["Run `make`"]))
    approve(store, "S-001")
    (skill,) = load_skills(store)
    assert (skill.uses, skill.successes, skill.steps, skill.status) == (4, 3, ["Run `make`"], "approved")


def test_an_unknown_skill_is_reported_by_its_key(store: Store) -> None:
    put_skills(store, make_skill())
    with pytest.raises(SkillNotFound, match="S-404"):
        approve(store, "S-404")


def test_a_skill_is_found_by_its_exported_name(store: Store) -> None:
    put_skills(store, make_skill(status="exported", name="release-steps"))
    skill, _ = retire(store, "release-steps")
    assert skill.id == "S-001" and skill.status == "retired"


@pytest.mark.parametrize(
    ("status", "uses", "successes", "proposed"),
    [
        ("exported", 3, 1, True),
        ("approved", 4, 1, True),
        ("exported", 3, 2, False),
        ("exported", 4, 2, False),
        ("exported", 2, 0, False),
        ("candidate", 5, 0, False),
        ("retired", 5, 0, False),
    ],
)
def test_a_skill_used_three_times_that_mostly_failed_is_proposed_for_retirement(
    status: str, uses: int, successes: int, proposed: bool
) -> None:
    skill = make_skill(status=status, uses=uses, successes=successes)
    assert retirement_proposed(skill) is proposed
