"""Counting how exported skills fare in later sessions: uses, and uses in sessions that succeeded.

A session used an exported skill when it loaded it with the `Skill` tool under its exported
name, or — weaker evidence — when its request matched the skill's trigger (or its error the
skill's signatures) and what followed did what the skill's steps say, in order. A use is one
row per (skill, session) in `skill_uses`, so tracking the same session again changes nothing;
a session that was rescored updates its row. The skill's `uses` and `successes` are counted
from those rows. A skill's own source sessions, and sessions older than its first export,
are never uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.mining.generalise import command_head
from trajectory_miner.mining.items import Skill, load_skills
from trajectory_miner.model import Session, Step
from trajectory_miner.scoring.card import load_scorecards
from trajectory_miner.sessions import load_sessions
from trajectory_miner.skills.lifecycle import save_skill
from trajectory_miner.store import Store
from trajectory_miner.utc import aware, stored

How = Literal["loaded", "followed"]

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_WORD = re.compile(r"[a-z][a-z0-9_-]{3,}")
_STOP_WORDS = (
    "when with that this from into your have will then than there their what which should would "
    "could about after before using user make sure some each only also request fails"
)
_STOP = frozenset(_STOP_WORDS.split())
# Following a skill needs this many things the skill asks for; one tool alone says nothing.
_MIN_EXPECTATIONS = 2


@dataclass(frozen=True, slots=True)
class SkillUse:
    """One session's use of one skill."""

    skill_id: str
    session_id: str
    how: How
    success: bool


def bare_name(name: str) -> str:
    """A loaded skill's name without a plugin namespace (`plugin:name` → `name`)."""
    return name.rsplit(":", 1)[-1].strip()


def _loaded(session: Session, names: set[str]) -> bool:
    return any(
        step.tool_name == "Skill" and step.skill_name and not step.is_error and bare_name(step.skill_name) in names
        for step in session.steps()
    )


def trigger_matches(trigger: str, prompt: str) -> bool:
    """True when most (and at least two) of the trigger's content words are in the prompt."""
    words = {w for w in _WORD.findall(trigger.lower()) if w not in _STOP}
    if len(words) < 2:
        return False
    text = prompt.lower()
    present = sum(1 for w in words if w in text)
    return present >= 2 and present / len(words) >= 0.6


def _start(session: Session, skill: Skill) -> int | None:
    """The position of the first step after the skill's situation came up, if it did."""
    steps = session.steps()
    for turn in session.turns:
        if turn.kind == "prompt" and skill.trigger and trigger_matches(skill.trigger, turn.prompt):
            return next((i for i, s in enumerate(steps) if s.turn_index >= turn.turn_index), None)
    families = {signature_family(s) for s in skill.signatures if s}
    for position, step in enumerate(steps):
        if step.error_signature and signature_family(step.error_signature) in families:
            return position + 1
    return None


def _command_of(step: Step) -> str:
    value = step.input.get("command")
    return value if isinstance(value, str) else step.summary


def _command_spans(line: str) -> list[str]:
    """The commands a step line names: every code span of a `Run ...` step, else spans that read
    as a program with arguments (not a lone file name such as `CHANGELOG.md`)."""
    spans = _CODE_SPAN.findall(line)
    if line.lstrip().lower().startswith("run "):
        return spans
    return [s for s in spans if " " in s.strip() and not re.search(r"[./]", s.split()[0])]


def _followed(session: Session, skill: Skill) -> bool:
    start = _start(session, skill)
    if start is None:
        return False
    later = session.steps()[start:]
    commands = [command_head(span) for line in skill.steps for span in _command_spans(line)]
    commands = [c for c in commands if c]
    if len(commands) + len(set(skill.tools_used)) < _MIN_EXPECTATIONS:
        return False
    if not set(skill.tools_used) <= {s.tool_name for s in later}:
        return False
    ran = iter([command_head(_command_of(s)) for s in later if s.tool_name == "Bash"])
    # Each wanted command must come after the previous one: a subsequence check.
    return all(any(head == wanted for head in ran) for wanted in commands)


def use_of(skill: Skill, names: set[str], session: Session, since: datetime | None) -> How | None:
    """How the session used the skill, or None when it did not (or cannot count)."""
    if session.session_id in skill.source_sessions:
        return None
    started = session.started_at
    if since is not None and started is not None and stored(started) < stored(since):
        return None
    if _loaded(session, names):
        return "loaded"
    return "followed" if _followed(session, skill) else None


def _names(store: Store, skills: Sequence[Skill]) -> dict[str, set[str]]:
    names = {s.id: {s.name} if s.name else set() for s in skills}
    for skill_id, name in store.query("SELECT skill_id, name FROM skill_exports"):
        names.setdefault(skill_id, set()).add(name)
    return names


def _first_exports(store: Store) -> dict[str, datetime]:
    rows = store.query(
        "SELECT skill_id, min(exported) FROM (SELECT skill_id, occurred_at AS exported FROM skill_events "
        "WHERE to_status = 'exported' UNION ALL SELECT skill_id, exported_at FROM skill_exports) "
        "GROUP BY skill_id"
    )
    return {r[0]: aware(r[1]) for r in rows}


def _known(store: Store, ids: Sequence[str]) -> dict[tuple[str, str], tuple[str, bool]]:
    rows = store.query(
        "SELECT skill_id, session_id, how, success FROM skill_uses WHERE session_id IN (SELECT unnest($1::VARCHAR[]))",
        [list(ids)],
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def track_usage(store: Store, session_ids: Sequence[str], now: datetime | None = None) -> list[SkillUse]:
    """Record which exported skills these (scored) sessions used; returns the new or changed uses.

    Sessions without a score card are skipped; track them again once they are scored.
    """
    skills = [s for s in load_skills(store) if s.status == "exported"]
    if not skills or not session_ids:
        return []
    cards = load_scorecards(store, session_ids)
    sessions = load_sessions(store, [sid for sid in dict.fromkeys(session_ids) if sid in cards])
    names, since, known = _names(store, skills), _first_exports(store), _known(store, list(cards))
    found: list[SkillUse] = []
    for session in sessions:
        success = cards[session.session_id].outcome == "success"
        for skill in skills:
            how = use_of(skill, names.get(skill.id, set()), session, since.get(skill.id))
            if how is not None and known.get((skill.id, session.session_id)) != (how, success):
                found.append(SkillUse(skill.id, session.session_id, how, success))
    if found:
        _save(store, found, skills, stored(now))
    return found


def _save(store: Store, uses: list[SkillUse], skills: list[Skill], at: datetime) -> None:
    with store.transaction():
        store.execute(
            "INSERT OR REPLACE INTO skill_uses SELECT unnest($1), unnest($2), unnest($3), "
            "unnest($4::BOOLEAN[]), unnest($5::TIMESTAMP[])",
            [
                [u.skill_id for u in uses],
                [u.session_id for u in uses],
                [u.how for u in uses],
                [u.success for u in uses],
                [at] * len(uses),
            ],
        )
        recount(store, [s for s in skills if s.id in {u.skill_id for u in uses}], at)


def recount(store: Store, skills: Sequence[Skill], at: datetime | None = None) -> None:
    """Set each skill's `uses` and `successes` from its rows in `skill_uses`."""
    counts = {
        r[0]: (int(r[1]), int(r[2]))
        for r in store.query(
            "SELECT skill_id, count(*), count(*) FILTER (WHERE success) FROM skill_uses GROUP BY skill_id"
        )
    }
    for skill in skills:
        uses, successes = counts.get(skill.id, (0, 0))
        if (skill.uses, skill.successes) != (uses, successes):
            save_skill(store, skill.model_copy(update={"uses": uses, "successes": successes}), at)


def skill_uses(store: Store, skill_id: str) -> list[SkillUse]:
    """The recorded uses of one skill."""
    rows = store.query(
        "SELECT skill_id, session_id, how, success FROM skill_uses WHERE skill_id = ? ORDER BY recorded_at, session_id",
        [skill_id],
    )
    return [SkillUse(r[0], r[1], r[2], r[3]) for r in rows]
