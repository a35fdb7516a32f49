"""A skill's status and its history: candidate → approved → exported, or rejected, or retired.

The miner creates skills as candidates; only the user moves them on. Every change is a row
in `skill_events` (when, from, to, why), written in the same transaction as the new status,
so the history never disagrees with the skill. A change the lifecycle does not allow is
refused with a message that says what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from trajectory_miner.mining.items import Skill, SkillStatus, load_skills
from trajectory_miner.store import Store
from trajectory_miner.utc import aware, stored

TRANSITIONS: dict[str, frozenset[str]] = {
    "candidate": frozenset({"approved", "rejected"}),
    "approved": frozenset({"exported", "rejected", "retired"}),
    "exported": frozenset({"retired"}),
    "rejected": frozenset({"candidate"}),
    "retired": frozenset({"candidate"}),
}

# A skill used this often that helped less than this share of the time is proposed for retirement.
RETIRE_MIN_USES = 3
RETIRE_BELOW_RATE = 0.5

_HINTS: dict[tuple[str, str], str] = {
    ("candidate", "exported"): "approve it before exporting it",
    ("candidate", "retired"): "only approved or exported skills are retired; reject a candidate instead",
    ("rejected", "approved"): "reopen it (back to candidate) before approving it",
    ("rejected", "exported"): "reopen and approve it before exporting it",
    ("rejected", "retired"): "it was never in use",
    ("retired", "approved"): "reopen it (back to candidate) before approving it again",
    ("retired", "exported"): "reopen and approve it before exporting it again",
    ("exported", "approved"): "it is already approved and exported",
    ("exported", "rejected"): "retire it instead: it has been exported",
    ("exported", "candidate"): "retire it first",
    ("approved", "candidate"): "reject it first, then reopen it",
    ("candidate", "candidate"): "it is open already",
}


class SkillNotFound(LookupError):
    """No stored skill has this id or name."""


class TransitionError(ValueError):
    """The lifecycle does not allow this status change."""


@dataclass(frozen=True, slots=True)
class SkillEvent:
    """One status change of one skill."""

    skill_id: str
    occurred_at: datetime
    from_status: str | None
    to_status: str
    reason: str


Changed = tuple[Skill, SkillEvent]


def find_skill(store: Store, key: str) -> Skill:
    """The skill with this id (any case) or exported name.

    Raises:
        SkillNotFound: no skill has that id or name.
    """
    wanted = key.strip()
    skills = load_skills(store)
    for skill in skills:
        if skill.id.lower() == wanted.lower():
            return skill
    named = [s for s in skills if s.name and s.name == wanted]
    if len(named) == 1:
        return named[0]
    raise SkillNotFound(f"no skill {wanted!r}: see `trajectory-miner skills list`")


def check_transition(skill: Skill, to_status: str) -> None:
    """Refuse a change the lifecycle does not allow.

    Raises:
        TransitionError: with a message naming the skill, both statuses and what to do instead.
    """
    if to_status not in TRANSITIONS:
        raise TransitionError(f"unknown status {to_status!r}")
    if to_status in TRANSITIONS[skill.status]:
        return
    if skill.status == to_status and to_status != "candidate":
        raise TransitionError(f"skill {skill.id} is already {to_status}")
    hint = _HINTS.get((skill.status, to_status), "")
    raise TransitionError(
        f"skill {skill.id} cannot go from {skill.status} to {to_status}" + (f": {hint}" if hint else "")
    )


def save_skill(store: Store, skill: Skill, now: datetime | None = None) -> None:
    """Write a skill's data back over its row (the caller holds any transaction)."""
    at = stored(now)
    store.execute("UPDATE skills SET data = ?, updated_at = ? WHERE id = ?", [skill.model_dump_json(), at, skill.id])


def change_status(
    store: Store, key: str, to_status: SkillStatus, reason: str = "", now: datetime | None = None
) -> tuple[Skill, SkillEvent]:
    """Move a skill to a new status and record the change.

    Raises:
        SkillNotFound: no skill has that id or name.
        TransitionError: the lifecycle does not allow the change.
    """
    skill = find_skill(store, key)
    check_transition(skill, to_status)
    at = stored(now)
    event = SkillEvent(skill.id, aware(at), skill.status, to_status, reason.strip())
    changed = skill.model_copy(update={"status": to_status, "updated_at": aware(at)})
    with store.transaction():
        save_skill(store, changed, at)
        store.execute(
            "INSERT INTO skill_events VALUES (?, ?, ?, ?, ?)",
            [event.skill_id, at, event.from_status, event.to_status, event.reason],
        )
    return changed, event


def approve(store: Store, key: str, reason: str = "", now: datetime | None = None) -> tuple[Skill, SkillEvent]:
    """Approve a candidate for export."""
    return change_status(store, key, "approved", reason or "approved by the user", now)


def reject(store: Store, key: str, reason: str = "", now: datetime | None = None) -> Changed:
    """Reject a candidate (or an approved skill not yet exported)."""
    return change_status(store, key, "rejected", reason or "rejected by the user", now)


def retire(store: Store, key: str, reason: str = "", now: datetime | None = None) -> Changed:
    """Retire an approved or exported skill; its file goes only when the user asks."""
    return change_status(store, key, "retired", reason or "retired by the user", now)


def reopen(store: Store, key: str, reason: str = "", now: datetime | None = None) -> Changed:
    """Put a rejected or retired skill back among the candidates."""
    return change_status(store, key, "candidate", reason or "reopened by the user", now)


def skill_events(store: Store, skill_id: str | None = None) -> list[SkillEvent]:
    """The recorded status changes, oldest first (of one skill, or of all)."""
    where, params = ("WHERE skill_id = ?", [skill_id]) if skill_id is not None else ("", [])
    rows = store.query(
        "SELECT skill_id, occurred_at, from_status, to_status, reason FROM skill_events "
        f"{where} ORDER BY occurred_at, rowid",
        params,
    )
    return [SkillEvent(r[0], aware(r[1]), r[2], r[3], r[4]) for r in rows]


def retirement_proposed(skill: Skill) -> bool:
    """True when an approved or exported skill has been used often and mostly did not help."""
    if skill.status not in ("approved", "exported") or skill.uses < RETIRE_MIN_USES:
        return False
    return skill.successes / skill.uses < RETIRE_BELOW_RATE


def retirement_reason(skill: Skill) -> str:
    """Why a skill is proposed for retirement, in one line."""
    return (
        f"used {skill.uses} times, {skill.successes} of them in sessions that succeeded (below {RETIRE_BELOW_RATE:.0%})"
    )
