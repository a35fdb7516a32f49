"""The signals a candidate fix is scored on, each one explained in the hit's `reasons`.

A candidate is a stuck episode or a mined item that matched a question (`rank`). Its signature
match and text coverage score it first; candidates with the same fix then become one
(`group_by_fix`), and only the best of those are weighed on the finer signals: files and
commands in common, project, recency, outcome, sessions that got past the error the same way,
and feedback.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field

from trajectory_miner.mining.items import Replay
from trajectory_miner.retrieval.episodes import Episode
from trajectory_miner.retrieval.fixes import fix_key
from trajectory_miner.retrieval.index import Item, MemoryIndex
from trajectory_miner.textcap import one_line

W_SIGNATURE = 3.0
W_TEXT = 2.0
W_TF = 1.0
W_FILES = 0.8
W_COMMANDS = 0.8
W_PROJECT = 0.4
W_RECENCY = 0.3
W_SUPPORT = 1.0
W_VERIFIED = 1.5
W_LIKELY = 0.3
_RECENCY_DAYS = 60.0
_DAY = 86_400.0
_OUTCOME_RANK = {"success": 0, "partial": 1, "unknown": 1, "failure": 2}


@dataclass
class Asked:
    """What every candidate is compared with, worked out once per question."""

    terms: list[str]
    files: set[str]
    commands: set[str]
    project: str | None
    reference: float


@dataclass
class Scored:
    """A candidate fix, its score so far and the reasons for it."""

    doc: int
    item: Item
    score: float = 0.0
    signature: float = 0.0
    matched: str = ""
    text: float = 0.0
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    support: int = 0


def identity(item: Item) -> tuple[str, int]:
    """What names an item whatever order the index read it in, to break ties by."""
    if isinstance(item, Episode):
        return item.session, item.first_step
    return item.id, -1


def score_signature(c: Scored, strength: float, matched: str) -> None:
    if strength:
        c.signature = strength
        c.matched = matched
        c.score += W_SIGNATURE * strength


def explain_signature(c: Scored) -> None:
    if c.signature:
        shown = one_line(c.matched, 90)
        strength = c.signature
        c.reasons.append(
            f"same error signature: {shown}"
            if strength >= 1.0
            else f"similar error signature ({strength:.0%}): {shown}"
        )


def score_text(c: Scored, share: float, weight: float) -> None:
    if share > 0:
        c.text = share
        c.score += W_TEXT * share + W_TF * weight


def explain_text(c: Scored, index: MemoryIndex, terms: list[str]) -> None:
    """Name the words that matched (only for hits: it costs a lookup per word)."""
    words = index.item_bm25.matched_terms(terms, c.doc)[:5] if c.text else []
    if words:
        at = 1 if c.signature else 0
        c.reasons.insert(at, f"text match ({c.text:.0%} of the question, rare words weighing most): {', '.join(words)}")


def basenames(paths: Sequence[str] | frozenset[str]) -> set[str]:
    return {posixpath.basename(p.rstrip("/")) for p in paths if p}


def score_context(c: Scored, index: MemoryIndex, asked: Asked) -> None:
    item = c.item
    if not isinstance(item, Episode):
        return
    common_files = asked.files & basenames(item.files)
    if common_files:
        c.score += W_FILES * len(common_files) / len(asked.files)
        c.reasons.append(f"files in common: {', '.join(sorted(common_files)[:3])}")
    common = asked.commands & item.commands
    if common:
        c.score += W_COMMANDS * len(common) / len(asked.commands | item.commands)
        c.reasons.append(f"commands in common: {', '.join(sorted(common)[:4])}")
    info = index.sessions.get(item.session)
    if info is None:
        return
    if asked.project and _same_project(asked.project, info.project):
        c.score += W_PROJECT
        c.reasons.append("same project")
    stamp = info.ended or info.started
    if stamp is not None:
        age_days = max(0.0, (asked.reference - stamp) / _DAY)
        c.score += W_RECENCY * math.exp(-age_days / _RECENCY_DAYS)


def _same_project(asked: str, project: str) -> bool:
    asked, project = asked.rstrip("/"), project.rstrip("/")
    return bool(asked) and (asked == project or posixpath.basename(project) == posixpath.basename(asked))


def score_outcome(c: Scored, index: MemoryIndex) -> None:
    item = c.item
    if isinstance(item, Episode):
        outcome = index.sessions[item.session].outcome if item.session in index.sessions else "unknown"
        solid = W_VERIFIED if item.resolution == "verified" else W_LIKELY
        if item.resolution == "verified":
            c.reasons.append(f"got past it: the same kind of step succeeded after {len(item.worked_next)} step(s)")
        else:
            c.reasons.append("the error did not come back in that session")
        if outcome == "success":
            solid += 0.5
            c.reasons.append("that session succeeded")
        elif outcome == "failure":
            solid -= 0.7
            c.reasons.append("that session failed in the end")
        c.score += solid
        c.confidence = 0.15 * (1.0 if item.resolution == "verified" else 0.5)
    elif isinstance(item, Replay):
        c.score += 1.3
        c.confidence = 0.15 * max(0.5, min(item.confidence, 1.0))
        c.reasons.append(f"mined replay (confidence {item.confidence:.2f})")
    else:
        approved = item.status in ("approved", "exported")
        if not approved:
            c.score -= 10.0
            return
        c.score += 1.0 + 0.3 * item.success_rate
        c.confidence = 0.15 * max(0.5, item.success_rate)
        c.reasons.append(f"{item.status} skill, success rate {item.success_rate:.0%} over {item.support} sessions")


def _feedback_targets(item: Item) -> list[str]:
    if isinstance(item, Episode):
        return [item.session, f"{item.session}#{item.last_step}"]
    return [item.id]


def score_feedback(c: Scored, index: MemoryIndex) -> None:
    helpful, harmful = index.votes(*_feedback_targets(c.item))
    if helpful:
        c.score += 0.5 * min(helpful, 3) / 3
        c.reasons.append(f"marked good {helpful}×")
    if harmful:
        c.score -= 1.5 * min(harmful, 2) / 2
        c.reasons.append(f"marked bad {harmful}×")


def group_by_fix(candidates: list[Scored], index: MemoryIndex, asked: Asked) -> list[Scored]:
    """The best candidate of each fix, carrying the sessions of all.

    Among equal matches, the one with the best feedback, then from the same project, then from
    a session that succeeded, then the newest, speaks for the group.
    """

    def preference(c: Scored) -> tuple[float, int, bool, int, float, tuple[str, int]]:
        helpful, harmful = index.votes(*_feedback_targets(c.item)) if index.feedback else (0, 0)
        info = index.sessions.get(c.item.session) if isinstance(c.item, Episode) else None
        if info is None:
            return (-c.score, 2 * harmful - helpful, True, 1, 0.0, identity(c.item))
        same = bool(asked.project) and _same_project(asked.project or "", info.project)
        stamp = info.ended or info.started or 0.0
        return (-c.score, 2 * harmful - helpful, not same, _OUTCOME_RANK.get(info.outcome, 1), -stamp, identity(c.item))

    groups: dict[str, list[Scored]] = {}
    for c in candidates:
        groups.setdefault(fix_key(c.item, index.fix_keys), []).append(c)
    best: list[Scored] = []
    for members in groups.values():
        # Only members as good as the best match compete on the finer preferences.
        top = max(m.score for m in members)
        leader = min((m for m in members if m.score >= top - 1e-9), key=preference)
        # The leader's sessions first, then the others' in the order they came, each once.
        sessions = dict.fromkeys(_sessions_of(leader.item))
        for member in members:
            if member is not leader:
                sessions.update(dict.fromkeys(_sessions_of(member.item)))
        leader.sessions = list(sessions)
        verified = {m.item.session for m in members if isinstance(m.item, Episode) and m.item.resolution == "verified"}
        leader.support = len(verified)
        best.append(leader)
    return best


def score_support(c: Scored) -> None:
    """Sessions that each got past the error the same way make the fix more credible."""
    if c.support > 1:
        c.score += W_SUPPORT * min(c.support - 1, 4) / 4
        c.reasons.append(f"the same fix got past it in {c.support} sessions")
    c.confidence += 0.5 * c.signature + 0.25 * c.text + 0.1 * min(max(c.support, 1), 3) / 3
    c.confidence = round(max(0.0, min(c.confidence, 1.0)), 2)


def _sessions_of(item: Item) -> list[str]:
    if isinstance(item, Episode):
        return [item.session]
    if isinstance(item, Replay):
        return [s for s in (item.successful_session, item.stuck_session) if s]
    return list(item.source_sessions)
