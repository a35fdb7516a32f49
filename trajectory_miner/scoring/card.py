"""Score cards: what the scorer says of a session, and how cards are stored and read back.

A card holds a score in [0, 1] per dimension with the evidence that moved it, an overall
score, per-turn scores, and the outcome label with its confidence and source. The rules that
compute them live in `trajectory_miner.scoring`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from trajectory_miner.model import Outcome
from trajectory_miner.store import Store, insert_rows
from trajectory_miner.utc import stored

DIMENSIONS: tuple[str, ...] = (
    "task_completion",
    "tool_efficiency",
    "error_recovery",
    "skill_adherence",
    "routing_accuracy",
    "context_health",
)

OutcomeSource = Literal["feedback", "tests", "heuristic"]


class Evidence(BaseModel):
    """One fact that moved a score, pointing at where it was seen."""

    fact: str
    effect: float = 0.0
    turn_index: int | None = None
    step_index: int | None = None


class DimensionScore(BaseModel):
    """A dimension's score, the rule behind it and its evidence."""

    name: str
    score: float
    rule: str = ""
    applicable: bool = True
    evidence: list[Evidence] = Field(default_factory=list)


class TurnScore(BaseModel):
    """A turn's scores per dimension."""

    turn_index: int
    overall: float
    dimensions: dict[str, float] = Field(default_factory=dict)


class Scorecard(BaseModel):
    """Everything the scorer says of one session."""

    session_id: str
    scorer_version: str
    overall: float
    dimensions: dict[str, DimensionScore] = Field(default_factory=dict)
    turns: list[TurnScore] = Field(default_factory=list)
    outcome: Outcome = "unknown"
    outcome_confidence: float = 0.0
    outcome_source: OutcomeSource = "heuristic"
    outcome_reason: str = ""
    scored_at: datetime | None = None

    def score(self, dimension: str) -> float:
        """The score of one dimension (1.0 when it was not scored)."""
        found = self.dimensions.get(dimension)
        return found.score if found else 1.0

    def min_score(self) -> float:
        """The lowest score over every dimension."""
        return min((d.score for d in self.dimensions.values()), default=0.0)


CardRows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""Cards as the store keeps them: a `scores` row per card (all but the time it is written) and
a `dimension_scores` row per dimension."""


def card_rows(cards: Sequence[Scorecard]) -> CardRows:
    """The rows that store `cards`."""
    scores = [
        (
            c.session_id,
            c.scorer_version,
            c.overall,
            c.outcome,
            c.outcome_confidence,
            c.outcome_source,
            c.model_dump_json(),
        )
        for c in cards
    ]
    return scores, [(c.session_id, n, d.score) for c in cards for n, d in c.dimensions.items()]


def save_scorecards(store: Store, cards: Sequence[Scorecard]) -> None:
    """Store cards, replacing earlier cards of the same sessions."""
    save_card_rows(store, card_rows(cards))


def save_card_rows(store: Store, rows: CardRows) -> None:
    """Store cards given as rows, replacing earlier cards of the same sessions."""
    scores, dimensions = rows
    if not scores:
        return
    now = stored()
    ids = [r[0] for r in scores]
    with store.transaction():
        store.execute("DELETE FROM dimension_scores WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [ids])
        insert_rows(store, "scores", [(*r, now) for r in scores])
        # The sessions' old rows went with the DELETE above: none is left to look for and replace.
        insert_rows(store, "dimension_scores", dimensions, keys=[])


def load_scorecards(store: Store, ids: Sequence[str] | None = None) -> dict[str, Scorecard]:
    """Stored cards by session id (all of them when `ids` is None)."""
    if ids is None:
        rows = store.query("SELECT card FROM scores")
    else:
        rows = store.query("SELECT card FROM scores WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [list(ids)])
    cards = [Scorecard.model_validate_json(r[0]) for r in rows]
    return {c.session_id: c for c in cards}


def score_columns(store: Store, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The headline figures of stored cards, for listings: overall, outcome, and each dimension."""
    result: dict[str, dict[str, Any]] = {}
    for sid, overall, outcome, confidence, source in store.query(
        "SELECT session_id, overall, outcome, outcome_confidence, outcome_source FROM scores "
        "WHERE session_id IN (SELECT unnest($1::VARCHAR[]))",
        [list(ids)],
    ):
        result[sid] = {
            "overall": overall,
            "outcome": outcome,
            "outcome_confidence": confidence,
            "outcome_source": source,
            "scores": {},
        }
    for sid, dimension, score in store.query(
        "SELECT session_id, dimension, score FROM dimension_scores WHERE session_id IN (SELECT unnest($1::VARCHAR[]))",
        [list(ids)],
    ):
        if sid in result:
            result[sid]["scores"][dimension] = score
    return result
