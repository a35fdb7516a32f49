"""Ranking for `find_replay_for_stuck_step`: which past fixes fit a step that is stuck now.

Candidates come from two places: stuck episodes and mined items with the same specific error
signature, or a close one of the same family (rapidfuzz ratio; never a generic signature such
as a bare exit code, which says only that something failed), and the documents that hold
enough of the question's words. Candidates with the same fix (the step that got past the
error, names and numbers aside) become one, backed by all their sessions. Each is scored on
explainable signals, and every signal that counted becomes one of the hit's `reasons`:

    3.0 × signature match (1 exact, up to 0.8 fuzzy)  + 2.0 × text coverage (0 to 1)
  + 1.0 × BM25 score / the score the question's words could reach (repeated and dense matches)
  + 0.8 × files in common + 0.8 × commands in common  + 0.4 × same project
  + outcome (1.5 when the same kind of step then succeeded, 0.3 when the error just did not
    come back; session succeeded or failed; approved skill; mined replay)
  + 1.0 × sessions that got past it the same way (up to five) + 0.3 × recency
  + feedback (helpful up, harmful strongly down)

The answer abstains rather than offer the best of a bad lot. A hit needs a signature match or
a text coverage of at least `TEXT_FLOOR`: the share of the question's information the document
holds, each word weighed by how rare it is in the store and words the store never saw
weighing the most, with half an unseen word's weight (`UNSAID`) added for what a question
leaves unsaid, so that two common words ("bash failed") are not enough (`relevance`). The
share is judged against the store, never against the best hit, so a failure the history has
never met finds nothing, and the note says what was searched. An error that says only that a
program failed (a bare exit code) is answered on words by that program's past failures alone.
Episodes that never got past the error are not hits; their attempts become `dead_ends`.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from rapidfuzz import fuzz, process

from trajectory_miner.analysis.signatures import error_signature, family, is_generic, normalise, signature_family
from trajectory_miner.mining.items import Replay, Skill
from trajectory_miner.retrieval.answers import ReplayAnswer, ReplayHit
from trajectory_miner.retrieval.episodes import Episode, fix_step
from trajectory_miner.retrieval.index import Item, MemoryIndex, item_families
from trajectory_miner.retrieval.relevance import FLOOR, Coverage, coverage, shown_words
from trajectory_miner.retrieval.text import command_words, tokens
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
FUZZY_CUTOFF = 75.0
TEXT_CANDIDATES = 200
TEXT_FLOOR = FLOOR
# What a question about a failure is assumed to leave unsaid, in words the store never saw:
# two common words ("bash failed") are too little to name a past fix.
UNSAID = 0.5
SHORTLIST = 60
MIN_SCORE = 1.0
_RECENCY_DAYS = 60.0
_DAY = 86_400.0
_DIGITS = re.compile(r"\d+")
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
    # The asking session itself: its own failures are neither fixes nor dead ends.
    exclude_sessions: frozenset[str] = frozenset()


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
    """The error signature the query's error text gives (read with its last command, as the
    store reads a failed step), and its specific part; both None without error text."""
    source = query.error_text if query.error_text and query.error_text.strip() else None
    if source is None:
        return None, None
    signature = error_signature("Bash", source, query.recent_commands[-1] if query.recent_commands else "")
    specific = signature_family(signature)
    return (signature, specific) if specific else (None, None)


def _probes(signature: str | None, description: str) -> list[tuple[str, float]]:
    """The signatures to look up, with the strength of an exact match: the error text's, then
    one the description quotes. Generic ones say only that something failed: never probed."""
    probes: list[tuple[str, float]] = []
    if signature and not is_generic(signature):
        probes.append((signature, 1.0))
    described = error_signature("", description) if description else ""
    if described and not is_generic(described) and signature_family(described) != signature_family(signature or ""):
        probes.append((described, 0.8))
    return probes


def _signature_of(item: Item, specific: str) -> str:
    """The signature of `item` whose specific part is `specific` ("" when none is)."""
    if isinstance(item, Episode):
        return item.signature or specific
    candidates = [item.signature] if isinstance(item, Replay) else list(item.signatures)
    return next((s for s in candidates if s and signature_family(s) == specific), "")


def _signature_matches(index: MemoryIndex, signature: str | None, description: str) -> dict[int, tuple[float, str]]:
    """Docs whose signature matches: doc → (strength, the specific signature it matched).

    A match is exact, or close (rapidfuzz ratio at least `FUZZY_CUTOFF`) on a specific
    signature of the same family: `No module named <q>` and `No module named <q>.<q>` are
    close, `KeyError: <q>` and `TypeError: <q>` are not, however alike their text.
    """
    found: dict[int, tuple[float, str]] = {}
    keys = list(index.families)
    for probe, weight in _probes(signature, description):
        specific, kind = signature_family(probe), family(probe)
        for doc in index.families.get(specific, ()):
            found.setdefault(doc, (weight, specific))
        for key, ratio, _ in process.extract(specific, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=30):
            strength = weight * 0.8 * (ratio - FUZZY_CUTOFF) / (100.0 - FUZZY_CUTOFF)
            if key == specific or not strength:
                continue
            for doc in index.families.get(key, ()):
                item = index.items.get(doc)
                other = _signature_of(item, key) if item is not None else ""
                if not other or _kind(other) != kind:
                    continue
                if found.get(doc, (0.0, ""))[0] < strength:
                    found[doc] = (strength, key)
    return found


@lru_cache(maxsize=65_536)
def _kind(signature: str) -> str:
    """The signature's `family`, "" for a generic one: asked of every close match, and the
    same few signatures come back question after question."""
    return "" if is_generic(signature) else family(signature)


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
    """The best `k` fixes for a stuck step, with the dead ends others met on the same error;
    no hit, and a note saying what was searched, when nothing stored is like it."""
    signature, specific = query_family(query)
    asked = _Asked(
        query=query,
        terms=_query_tokens(query),
        files=_basenames(query.files),
        commands={w for cmd in query.recent_commands for w in command_words(cmd)},
        reference=index.newest or (now or datetime.now(UTC)).timestamp(),
    )
    by_signature = _signature_matches(index, signature, query.description)
    covered = coverage(index.item_bm25, asked.terms, prior=UNSAID)
    by_text = covered.at_least(TEXT_FLOOR)[:TEXT_CANDIDATES]
    bm25 = index.item_bm25.scores(asked.terms) if asked.terms else None
    bound = index.item_bm25.upper_bound(asked.terms) if asked.terms else 0.0
    program = _generic_program(signature)
    if program:
        by_text = [d for d in by_text if d in by_signature or _ran(index.items.get(d), program)]
    if query.exclude_sessions:
        by_signature = {d: m for d, m in by_signature.items() if not _excluded(index.items.get(d), query)}
        by_text = [d for d in by_text if not _excluded(index.items.get(d), query)]
    dead_ends: dict[str, tuple[str, set[str]]] = {}
    candidates: list[_Scored] = []
    # In the order of what the items are, not of when the index read them, so that an index
    # kept across reads answers as one built at once.
    found = [(identity(index.items[d]), d) for d in by_signature.keys() | set(by_text) if d in index.items]
    for _, doc in sorted(found):
        item = index.items[doc]
        if isinstance(item, Episode) and item.resolution == "no":
            if doc in by_signature:
                _note_dead_ends(dead_ends, item, index.fix_keys)
            continue
        candidate = _Scored(doc, item)
        _score_signature(candidate, *by_signature.get(doc, (0.0, "")))
        _score_text(candidate, covered.of(doc), float(bm25[doc]) / bound if bm25 is not None and bound else 0.0)
        candidates.append(candidate)
    # One candidate per fix, backed by every session that got past the error that way; only
    # the best of them are worth the other signals, which move a candidate but little.
    shortlist = sorted(_group_by_fix(candidates, index, asked), key=lambda c: (-c.score, identity(c.item)))
    scored: list[_Scored] = []
    for candidate in shortlist[:SHORTLIST]:
        _explain_signature(candidate)
        _score_context(candidate, index, asked)
        _score_outcome(candidate, index)
        _score_support(candidate)
        _score_feedback(candidate, index)
        if candidate.score >= MIN_SCORE:
            scored.append(candidate)
    scored.sort(key=lambda c: (-c.score, identity(c.item)))
    hits = scored[: max(1, query.k)]
    for hit in hits:
        _explain_text(hit, index, asked.terms)
    answer = ReplayAnswer(
        error_signature=signature,
        hits=[_hit(c, index) for c in hits],
        dead_ends=_dead_end_lines(dead_ends),
    )
    if not hits:
        similar = bool(by_signature or by_text)
        answer.note = _no_hit_note(signature, specific, covered) if not similar else _stuck_note(dead_ends)
    return answer


def identity(item: Item) -> tuple[str, int]:
    """What names an item whatever order the index read it in, to break ties by."""
    if isinstance(item, Episode):
        return item.session, item.first_step
    return item.id, -1


def _generic_program(signature: str | None) -> str:
    """The program named by a generic signature (`Exit code <n> @ make`), "" for another."""
    if not signature or not is_generic(signature):
        return ""
    return signature_family(signature).rpartition(" @ ")[2] if " @ " in signature else ""


def _ran(item: Item | None, program: str) -> bool:
    """True for a failure of `program`: all a bare exit code says is which program failed, so
    only that program's past failures can answer it."""
    return isinstance(item, Episode) and program in item.commands


def _excluded(item: Item | None, query: StuckQuery) -> bool:
    return isinstance(item, Episode) and item.session in query.exclude_sessions


def _stuck_note(dead_ends: dict[str, tuple[str, set[str]]]) -> str:
    if dead_ends:
        return "sessions met a failure like this, but none got past it yet: dead_ends lists what they tried"
    return "nothing stored got past a step like this yet"


def _no_hit_note(signature: str | None, specific: str | None, covered: Coverage) -> str:
    """Say that nothing alike is stored, and what was searched."""
    parts: list[str] = []
    if signature and specific and is_generic(signature):
        parts.append(f"the error text says only that the command failed ({one_line(specific, 60)})")
    elif specific:
        parts.append(f"no stored failure has the error signature {one_line(specific, 120)!r} or one close to it")
    if not covered.words:
        parts.append("the question holds no searchable words")
    elif len(covered.unseen) == len(covered.words):
        parts.append(f"none of the words searched is in the history ({shown_words(covered.words)})")
    else:
        unseen = f"; never seen: {shown_words(covered.unseen, 4)}" if covered.unseen else ""
        parts.append(f"no stored step holds enough of the words searched ({shown_words(covered.words)}{unseen})")
    return "nothing similar in the history: " + "; ".join(parts)


def _note_dead_ends(dead_ends: dict[str, tuple[str, set[str]]], episode: Episode, cache: dict[int, str]) -> None:
    """Count what stuck sessions tried, alike attempts (other names, numbers, paths) together."""
    keys = cache.get(id(episode))
    if keys is None:
        keys = cache[id(episode)] = "\n".join(_alike(line) for line in episode.tried)
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


def _score_text(c: _Scored, share: float, weight: float) -> None:
    if share > 0:
        c.text = share
        c.score += W_TEXT * share + W_TF * weight


def _explain_text(c: _Scored, index: MemoryIndex, terms: list[str]) -> None:
    """Name the words that matched (only for hits: it costs a lookup per word)."""
    words = index.item_bm25.matched_terms(terms, c.doc)[:5] if c.text else []
    if words:
        at = 1 if c.signature else 0
        c.reasons.insert(at, f"text match ({c.text:.0%} of the question, rare words weighing most): {', '.join(words)}")


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


@lru_cache(maxsize=65_536)
def _alike(step: str) -> str:
    """A step line with what differs between two runs of one step left out: paths, ids and
    numbers (`normalise`), and the numbers inside names (`report_1`, `report_2`). Sessions
    repeat the same fixes, so the answers are kept."""
    return _DIGITS.sub("<n>", normalise(step))


def fix_key(item: Item, cache: dict[int, str]) -> str:
    """What tells one fix from another: resolution, error family and the fix step, normalised."""
    if isinstance(item, Episode) and item.worked_next:
        key = cache.get(id(item))
        if key is None:
            key = cache[id(item)] = f"{item.resolution}|{item.family}|{_alike(fix_step(item).split(' — ', 1)[0])}"
        return key
    return f"{type(item).__name__}|{id(item)}"


def _group_by_fix(candidates: list[_Scored], index: MemoryIndex, asked: _Asked) -> list[_Scored]:
    """The best candidate of each fix, carrying the sessions of all.

    Among equal matches, the one with the best feedback, then from the same project, then from
    a session that succeeded, then the newest, speaks for the group.
    """

    def preference(c: _Scored) -> tuple[float, int, bool, int, float, tuple[str, int]]:
        helpful, harmful = index.votes(*_feedback_targets(c.item)) if index.feedback else (0, 0)
        info = index.sessions.get(c.item.session) if isinstance(c.item, Episode) else None
        if info is None:
            return (-c.score, 2 * harmful - helpful, True, 1, 0.0, identity(c.item))
        same = bool(asked.query.project) and _same_project(asked.query.project or "", info.project)
        stamp = info.ended or info.started or 0.0
        return (-c.score, 2 * harmful - helpful, not same, _OUTCOME_RANK.get(info.outcome, 1), -stamp, identity(c.item))

    groups: dict[str, list[_Scored]] = {}
    for c in candidates:
        groups.setdefault(fix_key(c.item, index.fix_keys), []).append(c)
    best: list[_Scored] = []
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
