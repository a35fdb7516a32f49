"""Scoring one session and rescoring the store: the dimensions weighed into an overall and an outcome."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from trajectory_miner.collector import collector_paused
from trajectory_miner.feedback.verdicts import Feedback, latest_feedback
from trajectory_miner.mining.items import Skill, load_skills
from trajectory_miner.model import Session
from trajectory_miner.progress import Progress
from trajectory_miner.scoring.adherence import ACTIVE_STATUSES, skill_adherence
from trajectory_miner.scoring.card import (
    DIMENSIONS,
    CardRows,
    DimensionScore,
    Scorecard,
    TurnScore,
    card_rows,
    save_card_rows,
)
from trajectory_miner.scoring.completion import end_state, task_completion
from trajectory_miner.scoring.dimensions import (
    context_health,
    error_recovery,
    routing_accuracy,
    tool_efficiency,
)
from trajectory_miner.scoring.facts import resolve_failures, session_facts
from trajectory_miner.scoring.outcome import label_outcome
from trajectory_miner.sessions import TrajectoryRows, build_sessions, read_session_rows
from trajectory_miner.store import Store

SCORER_VERSION = "3"

# How much each dimension counts in the overall score; whether the work got done counts most.
WEIGHTS: dict[str, float] = {
    "task_completion": 0.4,
    "error_recovery": 0.2,
    "tool_efficiency": 0.1,
    "routing_accuracy": 0.1,
    "context_health": 0.1,
    "skill_adherence": 0.1,
}
CHUNK = 500
# Fewer sessions score in less time than starting worker processes takes.
POOL_MIN_SESSIONS = 400


def overall(scores: dict[str, float], applicable: dict[str, bool]) -> float:
    """The weighted mean of the applicable dimensions' scores."""
    used = [d for d in DIMENSIONS if d in scores and applicable.get(d, True)]
    weight = sum(WEIGHTS[d] for d in used)
    if not weight:
        return 1.0
    return round(sum(WEIGHTS[d] * scores[d] for d in used) / weight, 4)


def score_session(
    session: Session,
    feedback: Feedback | None = None,
    skills: Sequence[Skill] = (),
    *,
    output_budget: int = 4000,
) -> Scorecard:
    """The score card of one session.

    `feedback` is the user's latest verdict on the session, if any; `skills` are mined skills
    (only approved and exported ones count); `output_budget` is the tool-output size in
    characters above which an output counts against context health.
    """
    facts = session_facts(session)
    resolutions = resolve_failures(facts.steps)
    state = end_state(facts, resolutions)
    verdict = feedback.verdict if feedback is not None else None
    note = feedback.note if feedback is not None else ""
    results: dict[str, tuple[DimensionScore, dict[int, float]]] = {
        "task_completion": task_completion(facts, state, verdict, note),
        "tool_efficiency": tool_efficiency(facts),
        "error_recovery": error_recovery(facts, resolutions),
        "skill_adherence": skill_adherence(facts, skills),
        "routing_accuracy": routing_accuracy(facts),
        "context_health": context_health(facts, output_budget),
    }
    dimensions = {name: results[name][0] for name in DIMENSIONS}
    applicable = {name: card.applicable for name, card in dimensions.items()}
    adherence = dimensions["skill_adherence"].score if applicable["skill_adherence"] else 1.0
    label = label_outcome(state, adherence, bool(facts.steps), verdict, note)
    return Scorecard(
        session_id=session.session_id,
        scorer_version=SCORER_VERSION,
        overall=overall({n: c.score for n, c in dimensions.items()}, applicable),
        dimensions=dimensions,
        turns=_turn_scores(session, results, applicable),
        outcome=label.outcome,
        outcome_confidence=label.confidence,
        outcome_source=label.source,
        outcome_reason=label.reason,
    )


def _turn_scores(
    session: Session, results: dict[str, tuple[DimensionScore, dict[int, float]]], applicable: dict[str, bool]
) -> list[TurnScore]:
    turns: list[TurnScore] = []
    for turn in session.turns:
        scores = {name: results[name][1].get(turn.turn_index, 1.0) for name in DIMENSIONS}
        turns.append(TurnScore(turn_index=turn.turn_index, overall=overall(scores, applicable), dimensions=scores))
    return turns


def _active_skills(store: Store) -> list[Skill]:
    return [s for s in load_skills(store) if s.status in ACTIVE_STATUSES]


_STALE_SQL = """
    SELECT s.session_id FROM sessions s LEFT JOIN scores c USING (session_id)
    WHERE CASE WHEN s.session_id IN (SELECT session_id FROM turns UNION SELECT session_id FROM steps)
        THEN c.session_id IS NULL OR c.scorer_version <> ?
        ELSE c.session_id IS NOT NULL END
    ORDER BY s.session_id
"""


def stale_session_ids(store: Store) -> list[str]:
    """Sessions with turns and no card from this scorer version, and sessions with no turns but a card."""
    return [r[0] for r in store.query(_STALE_SQL, [SCORER_VERSION])]


def _drop_cards(store: Store, ids: Sequence[str]) -> None:
    if ids:
        for table in ("dimension_scores", "scores"):
            store.execute(f"DELETE FROM {table} WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [list(ids)])


@dataclass(frozen=True, slots=True)
class ScoringJob:
    """What every session of a rescore is scored with."""

    skills: list[Skill]
    output_budget: int
    scored_at: datetime


@dataclass(frozen=True, slots=True)
class Chunk:
    """Sessions to score (those with turns), as the store's rows, with the user's latest
    verdicts on them: plain values, which pickle fast for a worker process to build and score."""

    ids: list[str]
    rows: TrajectoryRows
    verdicts: dict[str, Feedback]


StoreCards = Callable[[list[str], CardRows], None]


def load_chunk(store: Store, part: Sequence[str]) -> Chunk:
    """The sessions of `part` that have turns, with their verdicts; the cards of those without
    turns are removed."""
    verdicts = latest_feedback(store, part)
    rows = read_session_rows(store, part)
    known = {r[0] for r in rows.sessions}
    with_turns = rows.with_turns()
    _drop_cards(store, [sid for sid in part if sid in known and sid not in with_turns])
    return Chunk([sid for sid in part if sid in known and sid in with_turns], rows, verdicts)


def score_chunk(chunk: Chunk, job: ScoringJob) -> CardRows:
    """The cards of a chunk's sessions, in order, as the rows that store them."""
    with collector_paused():
        sessions = build_sessions(chunk.rows, chunk.ids)
        cards = [
            score_session(s, chunk.verdicts.get(s.session_id), job.skills, output_budget=job.output_budget)
            for s in sessions
        ]
        for card in cards:
            card.scored_at = job.scored_at
        return card_rows(cards)


def pool_size(sessions: int, workers: int | None) -> int:
    """Worker processes worth starting (0: score here): as asked, or by default one per core
    beside this one, at most two, when there is much to score."""
    if workers is not None:
        return max(0, min(workers, sessions))
    cores = os.cpu_count() or 1
    if sessions < POOL_MIN_SESSIONS or cores < 2:
        return 0
    # This process loads and stores while the workers score, and it has a core of its own:
    # on two cores one worker scores about as fast as two, and costs less.
    return min(2, cores - 1)


def rescore_sessions(
    store: Store,
    ids: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
    chunk_size: int = CHUNK,
    output_budget: int = 4000,
    workers: int | None = None,
) -> int:
    """Score the given sessions (all when `ids` is None) and store their cards; returns how many.

    Sessions are loaded in chunks, each chunk's cards stored in one transaction. Ids the store
    does not know are skipped; a session with no turns is not scored, and a card it had is removed.
    With many sessions, or `workers` given, chunks are scored in that many worker processes
    while this process loads the next chunks and stores the cards of those done, in order;
    `workers=0` scores them here.
    """
    wanted = list(ids) if ids is not None else [r[0] for r in store.query("SELECT session_id FROM sessions")]
    job = ScoringJob(_active_skills(store), output_budget, datetime.now(UTC))
    workers = pool_size(len(wanted), workers)
    # The chunks in flight to workers hold together about as many sessions as one chunk here.
    size = max(1, chunk_size // 2) if workers else chunk_size
    chunks = [wanted[start : start + size] for start in range(0, len(wanted), size)]
    done = reached = 0

    def store_cards(part: list[str], rows: CardRows) -> None:
        nonlocal done, reached
        with collector_paused():
            save_card_rows(store, rows)
        done += len(rows[0])
        reached += len(part)
        if progress is not None:
            progress(reached, len(wanted), part[-1])

    if workers:
        # Loaded here: a rescore of a few sessions (the hooks' ingester's) starts no processes.
        from trajectory_miner.scoring.pool import score_in_pool

        chunks = score_in_pool(store, chunks, job, workers, store_cards)
    for part in chunks:
        with collector_paused():
            chunk = load_chunk(store, part)
        store_cards(part, score_chunk(chunk, job))
    return done
