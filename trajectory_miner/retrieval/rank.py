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

The signals and their weights are in `signals`, what makes two fixes one in `fixes`; a broad
question drops in bulk the fixes that cannot reach the shortlist (`shortlist`) before any
candidate is weighed one by one.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from trajectory_miner.analysis.signatures import error_signature, family, is_generic, signature_family
from trajectory_miner.mining.items import Replay, Skill
from trajectory_miner.retrieval.answers import ReplayAnswer, ReplayHit
from trajectory_miner.retrieval.episodes import Episode, fix_step
from trajectory_miner.retrieval.fixes import tried_keys
from trajectory_miner.retrieval.index import REPLAY, SKILL, STUCK, Item, MemoryIndex, item_families
from trajectory_miner.retrieval.relevance import FLOOR, Coverage, coverage, shown_words
from trajectory_miner.retrieval.shortlist import first_scores, within_reach
from trajectory_miner.retrieval.signals import (
    Asked,
    Scored,
    basenames,
    explain_signature,
    explain_text,
    group_by_fix,
    identity,
    score_context,
    score_feedback,
    score_outcome,
    score_signature,
    score_support,
    score_text,
)
from trajectory_miner.retrieval.text import command_words, tokens
from trajectory_miner.textcap import one_line

# `hints` groups episodes by fix as ranking does.
__all__ = ["StuckQuery", "find_replays", "identity", "query_family"]

FUZZY_CUTOFF = 75.0
TEXT_CANDIDATES = 200
TEXT_FLOOR = FLOOR
# What a question about a failure is assumed to leave unsaid, in words the store never saw:
# two common words ("bash failed") are too little to name a past fix.
UNSAID = 0.5
SHORTLIST = 60
MIN_SCORE = 1.0


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


def _signature_of(index: MemoryIndex, doc: int, specific: str) -> str:
    """The signature of item `doc` whose specific part is `specific` ("" when none is)."""
    kind = index.kinds[doc]
    if kind == SKILL:
        item = index.items[doc]
        assert isinstance(item, Skill)
        return next((s for s in item.signatures if s and signature_family(s) == specific), "")
    signature = index.signatures[doc] or ""
    if kind == REPLAY:
        return signature if signature and signature_family(signature) == specific else ""
    return signature or specific


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
            for doc in _of_kind(index, key, kind):
                if found.get(doc, (0.0, ""))[0] < strength:
                    found[doc] = (strength, key)
    return found


def _of_kind(index: MemoryIndex, key: str, kind: str) -> list[int]:
    """The items of error family `key` whose signature is of `kind` (one `family`)."""
    kinds, signatures = index.kinds, index.signatures
    docs: list[int] = []
    for doc in index.families.get(key, ()):
        # An episode's signature, or its family when it was stored without one.
        other = (signatures[doc] or key) if kinds[doc] <= STUCK else _signature_of(index, doc, key)
        if other and _kind(other) == kind:
            docs.append(doc)
    return docs


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


def find_replays(index: MemoryIndex, query: StuckQuery, now: datetime | None = None) -> ReplayAnswer:
    """The best `k` fixes for a stuck step, with the dead ends others met on the same error;
    no hit, and a note saying what was searched, when nothing stored is like it."""
    signature, specific = query_family(query)
    asked = Asked(
        terms=_query_tokens(query),
        files=basenames(query.files),
        commands={w for cmd in query.recent_commands for w in command_words(cmd)},
        project=query.project,
        reference=index.newest or (now or datetime.now(UTC)).timestamp(),
    )
    by_signature = _signature_matches(index, signature, query.description)
    covered = coverage(index.item_bm25, asked.terms, prior=UNSAID)
    by_text = covered.at_least(TEXT_FLOOR)[:TEXT_CANDIDATES]
    program = _generic_program(signature)
    if program:
        by_text = [d for d in by_text if d in by_signature or _ran(index.items.get(d), program)]
    if query.exclude_sessions:
        by_signature = {d: m for d, m in by_signature.items() if not _excluded(index.items.get(d), query)}
        by_text = [d for d in by_text if not _excluded(index.items.get(d), query)]
    found = np.array(index.items.present(by_signature.keys() | set(by_text)), dtype=np.int64)
    stuck = np.frombuffer(index.kinds, dtype=np.uint8)[found] == STUCK
    # Episodes that never got past the error are no fixes; what those with the error's
    # signature tried are dead ends.
    dead_ends = _dead_ends(index, [d for d in found[stuck].tolist() if d in by_signature])
    fixes: list[int] = found[~stuck].tolist()
    candidates = _candidates(index, fixes, by_signature, covered, asked.terms)
    hits = _best(candidates, index, asked, query.k)
    answer = ReplayAnswer(
        error_signature=signature,
        hits=[_hit(c, index) for c in hits],
        dead_ends=_dead_end_lines(dead_ends),
    )
    if not hits:
        similar = bool(by_signature or by_text)
        answer.note = _no_hit_note(signature, specific, covered) if not similar else _stuck_note(dead_ends)
    return answer


def _candidates(
    index: MemoryIndex, docs: list[int], by_signature: dict[int, tuple[float, str]], covered: Coverage, terms: list[str]
) -> list[Scored]:
    """The candidates of the fixes within reach of the shortlist, scored on their signature
    match and their text, in the order of what the items are: not of when the index read
    them, so that an index kept across reads answers as one built at once."""
    bm25 = index.item_bm25.scores(terms) if terms else None
    bound = index.item_bm25.upper_bound(terms) if terms else 0.0
    first = first_scores(docs, [by_signature.get(d, (0.0, ""))[0] for d in docs], covered, bm25, bound)
    candidates: list[Scored] = []
    for _, doc in sorted((identity(index.items[d]), d) for d in within_reach(index, docs, first, SHORTLIST)):
        candidate = Scored(doc, index.items[doc])
        score_signature(candidate, *by_signature.get(doc, (0.0, "")))
        score_text(candidate, covered.of(doc), float(bm25[doc]) / bound if bm25 is not None and bound else 0.0)
        candidates.append(candidate)
    return candidates


def _best(candidates: list[Scored], index: MemoryIndex, asked: Asked, k: int) -> list[Scored]:
    """The `k` best fixes: one candidate per fix, backed by every session that got past the
    error that way; only the best of them are worth the other signals, which move a candidate
    but little."""
    shortlist = sorted(group_by_fix(candidates, index, asked), key=lambda c: (-c.score, identity(c.item)))
    scored: list[Scored] = []
    for candidate in shortlist[:SHORTLIST]:
        explain_signature(candidate)
        score_context(candidate, index, asked)
        score_outcome(candidate, index)
        score_support(candidate)
        score_feedback(candidate, index)
        if candidate.score >= MIN_SCORE:
            scored.append(candidate)
    scored.sort(key=lambda c: (-c.score, identity(c.item)))
    hits = scored[: max(1, k)]
    for hit in hits:
        explain_text(hit, index, asked.terms)
    return hits


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


def _dead_ends(index: MemoryIndex, docs: list[int]) -> dict[str, tuple[str, set[str]]]:
    """What stuck sessions tried, alike attempts (other names, numbers, paths) counted together,
    each with its first example in the order of the items."""
    dead_ends: dict[str, tuple[str, set[str]]] = {}
    episodes = [index.items[d] for d in docs]
    for _, _, episode in sorted(zip(map(identity, episodes), docs, episodes, strict=True)):
        assert isinstance(episode, Episode)
        for line, key in zip(episode.tried, tried_keys(episode, index.fix_keys), strict=False):
            dead_ends.setdefault(key, (line, set()))[1].add(episode.session)
    return dead_ends


def _dead_end_lines(dead_ends: dict[str, tuple[str, set[str]]], n: int = 3) -> list[str]:
    ranked = sorted(dead_ends.values(), key=lambda p: (-len(p[1]), p[0]))[:n]
    return [f"{line} (in {len(s)} stuck session{'s' if len(s) > 1 else ''})" for line, s in ranked]


def _hit(c: Scored, index: MemoryIndex) -> ReplayHit:
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
