"""Ranking for `find_replay_for_stuck_step`: which past fixes fit a step that is stuck now.

Candidates come from three places: stuck episodes and mined items with the same error
family, those whose family is close (rapidfuzz ratio), and the best BM25 matches of the
description. Candidates with the same fix (the step that got past the error, names and
numbers aside) become one, backed by all their sessions. Each is scored on explainable
signals, and every signal that counted becomes one of the hit's `reasons`:

    3.0 × signature match (1 exact, up to 0.8 fuzzy)  + 2.0 × text match (relative to the best)
  + 0.8 × files in common + 0.8 × commands in common  + 0.4 × same project
  + outcome (1.5 when the same kind of step then succeeded, 0.3 when the error just did not
    come back; session succeeded or failed; approved skill; mined replay)
  + 1.0 × sessions that got past it the same way (up to five) + 0.3 × recency
  + feedback (helpful up, harmful strongly down)

Episodes that never got past the error are not hits; their attempts become `dead_ends`.
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

from trajectory_miner.mined import Replay, Skill
from trajectory_miner.retrieval.answers import ReplayAnswer, ReplayHit
from trajectory_miner.retrieval.episodes import Episode, fix_step
from trajectory_miner.retrieval.index import Item, MemoryIndex, item_families
from trajectory_miner.retrieval.text import command_words, one_line, tokens
from trajectory_miner.signatures import error_signature, normalise, signature_family

W_SIGNATURE = 3.0
W_TEXT = 2.0
W_FILES = 0.8
W_COMMANDS = 0.8
W_PROJECT = 0.4
W_RECENCY = 0.3
W_SUPPORT = 1.0
W_VERIFIED = 1.5
W_LIKELY = 0.3
FUZZY_CUTOFF = 75.0
BM25_CANDIDATES = 200
SHORTLIST = 60
MIN_SCORE = 1.0
_RECENCY_DAYS = 60.0
_DAY = 86_400.0
_OUTCOME_RANK = {"success": 0, "partial": 1, "unknown": 1, "failure": 2}


@dataclass
class StuckQuery:
    """What a live session says about the step it is stuck on."""

    description: str
    error_text: str | None = None
    recent_commands: Sequence[str] = ()
    files: Sequence[str] = ()
    project: str | None = None
    k: int = 3


@dataclass
class _Scored:
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


def query_family(query: StuckQuery) -> tuple[str | None, str | None]:
    """The error signature and family the query names (from its error text, else its description)."""
    source = query.error_text if query.error_text and query.error_text.strip() else None
    if source is None:
        return None, None
    signature = error_signature("Bash", source)
    family = signature_family(signature)
    return (signature, family) if family else (None, None)


def _signature_matches(index: MemoryIndex, family: str | None, description: str) -> dict[int, tuple[float, str]]:
    """Docs whose family matches: doc → (strength, the family it matched)."""
    found: dict[int, tuple[float, str]] = {}
    probes = [family] if family else []
    described = signature_family(error_signature("", description)) if description else ""
    if described and described != family:
        probes.append(described)
    keys = list(index.families)
    for probe_number, probe in enumerate(probes):
        for doc in index.families.get(probe, ()):
            found.setdefault(doc, (1.0 if probe_number == 0 else 0.8, probe))
        for key, ratio, _ in process.extract(probe, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=30):
            strength = 0.8 * (ratio - FUZZY_CUTOFF) / (100.0 - FUZZY_CUTOFF)
            strength = strength if probe_number == 0 else strength * 0.8
            for doc in index.families.get(key, ()):
                if found.get(doc, (0.0, ""))[0] < strength:
                    found[doc] = (strength, key)
    return found


def _query_tokens(query: StuckQuery) -> list[str]:
    parts = [query.description]
    if query.error_text:
        parts.append(query.error_text[-3000:])
    parts.extend(query.recent_commands)
    parts.extend(posixpath.basename(f) for f in query.files)
    return tokens("\n".join(parts))


@dataclass
class _Asked:
    """What every candidate is compared with, worked out once per question."""

    query: StuckQuery
    terms: list[str]
    files: set[str]
    commands: set[str]
    reference: float


def find_replays(index: MemoryIndex, query: StuckQuery, now: datetime | None = None) -> ReplayAnswer:
    """The best `k` fixes for a stuck step, with the dead ends others met on the same error."""
    signature, family = query_family(query)
    asked = _Asked(
        query=query,
        terms=_query_tokens(query),
        files=_basenames(query.files),
        commands={w for cmd in query.recent_commands for w in command_words(cmd)},
        reference=index.newest or (now or datetime.now(UTC)).timestamp(),
    )
    by_signature = _signature_matches(index, family, query.description)
    text_scores = dict(index.item_bm25.top(asked.terms, BM25_CANDIDATES)) if asked.terms else {}
    best_text = max(text_scores.values(), default=0.0)
    dead_ends: dict[str, tuple[str, set[str]]] = {}
    candidates: list[_Scored] = []
    for doc in by_signature.keys() | text_scores.keys():
        item = index.items.get(doc)
        if item is None:
            continue
        if isinstance(item, Episode) and item.resolution == "no":
            if doc in by_signature:
                _note_dead_ends(dead_ends, item, index.fix_keys)
            continue
        candidate = _Scored(doc, item)
        _score_signature(candidate, *by_signature.get(doc, (0.0, "")))
        _score_text(candidate, text_scores.get(doc, 0.0), best_text)
        candidates.append(candidate)
    # One candidate per fix, backed by every session that got past the error that way; only
    # the best of them are worth the other signals, which move a candidate but little.
    shortlist = sorted(_group_by_fix(candidates, index, asked), key=lambda c: (-c.score, c.doc))
    scored: list[_Scored] = []
    for candidate in shortlist[:SHORTLIST]:
        _explain_signature(candidate)
        _score_context(candidate, index, asked)
        _score_outcome(candidate, index)
        _score_support(candidate)
        _score_feedback(candidate, index)
        if candidate.score >= MIN_SCORE and (candidate.signature or candidate.text >= 0.25):
            scored.append(candidate)
    scored.sort(key=lambda c: (-c.score, c.doc))
    hits = scored[: max(1, query.k)]
    for hit in hits:
        _explain_text(hit, index, asked.terms)
    answer = ReplayAnswer(
        error_signature=signature,
        hits=[_hit(c, index) for c in hits],
        dead_ends=_dead_end_lines(dead_ends),
    )
    if not hits:
        answer.note = "nothing stored got past a step like this yet"
    return answer


def _note_dead_ends(dead_ends: dict[str, tuple[str, set[str]]], episode: Episode, cache: dict[int, str]) -> None:
    """Count what stuck sessions tried, alike attempts (other names, numbers, paths) together."""
    keys = cache.get(id(episode))
    if keys is None:
        keys = cache[id(episode)] = "\n".join(normalise(line) for line in episode.tried)
    for line, key in zip(episode.tried, keys.split("\n"), strict=False):
        example, sessions = dead_ends.setdefault(key, (line, set()))
        sessions.add(episode.session)


def _dead_end_lines(dead_ends: dict[str, tuple[str, set[str]]], n: int = 3) -> list[str]:
    ranked = sorted(dead_ends.values(), key=lambda p: (-len(p[1]), p[0]))[:n]
    return [f"{line} (in {len(s)} stuck session{'s' if len(s) > 1 else ''})" for line, s in ranked]


def _score_signature(c: _Scored, strength: float, matched: str) -> None:
    if strength:
        c.signature = strength
        c.matched = matched
        c.score += W_SIGNATURE * strength


def _explain_signature(c: _Scored) -> None:
    if c.signature:
        shown = one_line(c.matched, 90)
        strength = c.signature
        c.reasons.append(
            f"same error signature: {shown}"
            if strength >= 1.0
            else f"similar error signature ({strength:.0%}): {shown}"
        )


def _score_text(c: _Scored, raw: float, best: float) -> None:
    if raw <= 0 or best <= 0:
        return
    c.text = raw / best
    c.score += W_TEXT * c.text


def _explain_text(c: _Scored, index: MemoryIndex, terms: list[str]) -> None:
    """Name the words that matched (only for hits: it costs a lookup per word)."""
    words = index.item_bm25.matched_terms(terms, c.doc)[:5] if c.text else []
    if words:
        at = 1 if c.signature else 0
        c.reasons.insert(at, f"text match ({c.text:.0%} of the best): {', '.join(words)}")


def _basenames(paths: Sequence[str] | frozenset[str]) -> set[str]:
    return {posixpath.basename(p.rstrip("/")) for p in paths if p}


def _score_context(c: _Scored, index: MemoryIndex, asked: _Asked) -> None:
    item = c.item
    if not isinstance(item, Episode):
        return
    common_files = asked.files & _basenames(item.files)
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
    if asked.query.project and _same_project(asked.query.project, info.project):
        c.score += W_PROJECT
        c.reasons.append("same project")
    stamp = info.ended or info.started
    if stamp is not None:
        age_days = max(0.0, (asked.reference - stamp) / _DAY)
        c.score += W_RECENCY * math.exp(-age_days / _RECENCY_DAYS)


def _same_project(asked: str, project: str) -> bool:
    asked, project = asked.rstrip("/"), project.rstrip("/")
    return bool(asked) and (asked == project or posixpath.basename(project) == posixpath.basename(asked))


def _score_outcome(c: _Scored, index: MemoryIndex) -> None:
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


def _score_feedback(c: _Scored, index: MemoryIndex) -> None:
    helpful, harmful = index.votes(*_feedback_targets(c.item))
    if helpful:
        c.score += 0.5 * min(helpful, 3) / 3
        c.reasons.append(f"marked helpful {helpful}×")
    if harmful:
        c.score -= 1.5 * min(harmful, 2) / 2
        c.reasons.append(f"marked harmful {harmful}×")


def fix_key(item: Item, cache: dict[int, str]) -> str:
    """What tells one fix from another: resolution, error family and the fix step, normalised."""
    if isinstance(item, Episode) and item.worked_next:
        key = cache.get(id(item))
        if key is None:
            key = cache[id(item)] = f"{item.resolution}|{item.family}|{normalise(fix_step(item).split(' — ', 1)[0])}"
        return key
    return f"{type(item).__name__}|{id(item)}"


def _group_by_fix(candidates: list[_Scored], index: MemoryIndex, asked: _Asked) -> list[_Scored]:
    """The best candidate of each fix, carrying the sessions of all.

    Among equal matches, the one with the best feedback, then from the same project, then from
    a session that succeeded, then the newest, speaks for the group.
    """

    def preference(c: _Scored) -> tuple[float, int, bool, int, float, int]:
        helpful, harmful = index.votes(*_feedback_targets(c.item)) if index.feedback else (0, 0)
        info = index.sessions.get(c.item.session) if isinstance(c.item, Episode) else None
        if info is None:
            return (-c.score, 2 * harmful - helpful, True, 1, 0.0, c.doc)
        same = bool(asked.query.project) and _same_project(asked.query.project or "", info.project)
        stamp = info.ended or info.started or 0.0
        return (-c.score, 2 * harmful - helpful, not same, _OUTCOME_RANK.get(info.outcome, 1), -stamp, c.doc)

    groups: dict[str, list[_Scored]] = {}
    for c in candidates:
        groups.setdefault(fix_key(c.item, index.fix_keys), []).append(c)
    best: list[_Scored] = []
    for members in groups.values():
        # Only members as good as the best match compete on the finer preferences.
        top = max(m.score for m in members)
        tied = [m for m in members if m.score >= top - 1e-9]
        tied.sort(key=preference)
        members.sort(key=lambda m: m is not tied[0])
        leader = members[0]
        for member in members:
            for sid in _sessions_of(member.item):
                if sid not in leader.sessions:
                    leader.sessions.append(sid)
        verified = {m.item.session for m in members if isinstance(m.item, Episode) and m.item.resolution == "verified"}
        leader.support = len(verified)
        best.append(leader)
    return best


def _score_support(c: _Scored) -> None:
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


def _hit(c: _Scored, index: MemoryIndex) -> ReplayHit:
    item = c.item
    if isinstance(item, Episode):
        info = index.sessions.get(item.session)
        last = fix_step(item)
        return ReplayHit(
            id=f"{item.session}#{item.last_step}",
            kind="session",
            summary=one_line(f"after {item.attempts} failure(s): {last}", 200),
            error=one_line(item.family, 120),
            tried=list(item.tried),
            worked_next=list(item.worked_next),
            session_ids=c.sessions[:5],
            project=posixpath.basename(info.project.rstrip("/")) if info else "",
            confidence=c.confidence,
            reasons=c.reasons[:6],
        )
    if isinstance(item, Replay):
        return ReplayHit(
            id=item.id,
            kind="replay",
            summary=one_line(item.expected_improvement or item.stuck_reason or "mined replay", 200),
            error=one_line(signature_family(item.signature), 120),
            worked_next=[one_line(s, 200) for s in item.next_steps[:5]],
            session_ids=c.sessions[:5],
            confidence=c.confidence,
            reasons=c.reasons[:6],
        )
    assert isinstance(item, Skill)
    families = item_families(item)
    return ReplayHit(
        id=item.id,
        kind="skill",
        summary=one_line(f"{item.name or item.id}: {item.description}", 200),
        error=one_line(families[0], 120) if families else "",
        worked_next=[one_line(s, 200) for s in item.steps[:6]],
        session_ids=c.sessions[:5],
        confidence=c.confidence,
        reasons=c.reasons[:6],
    )
