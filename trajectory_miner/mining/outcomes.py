"""What the stored score cards say of each session, read narrowly for mining.

The miner splits sessions into failing and succeeding ones (for lift), finds the weakest
dimensions of a pattern's sessions, picks skill sources (every dimension at least 0.85),
and finds the turn where a session's score collapsed. Sessions without a card are neither
failing nor succeeding: they still count for patterns, never for lift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

from trajectory_miner.store import Store

SKILL_THRESHOLD = 0.85
_FAILING_OUTCOMES = frozenset({"failure", "partial"})
_COLLAPSE_BELOW = 0.5
_COLLAPSE_DROP = 0.3
_IN_SCOPE = "WHERE session_id IN (SELECT id FROM _mine_scored)"


@dataclass(slots=True)
class SessionScore:
    """The headline figures of one session's card."""

    outcome: str
    overall: float
    dimensions: dict[str, float] = field(default_factory=dict)

    @property
    def group(self) -> str:
        """'failing', 'succeeding', or '' when the card cannot tell."""
        if self.outcome in _FAILING_OUTCOMES:
            return "failing"
        if self.outcome == "success":
            return "succeeding"
        if self.overall < 0.5:
            return "failing"
        return "succeeding" if self.overall >= 0.75 else ""

    def min_score(self) -> float:
        """The lowest dimension score (as `Scorecard.min_score`)."""
        return min(self.dimensions.values(), default=0.0)

    @property
    def skill_source(self) -> bool:
        return bool(self.dimensions) and self.min_score() >= SKILL_THRESHOLD


def _wanted(store: Store, ids: Sequence[str]) -> None:
    store.execute("CREATE OR REPLACE TEMP TABLE _mine_scored AS SELECT unnest($1::VARCHAR[]) AS id", [list(ids)])


def load_scores(store: Store, ids: Sequence[str]) -> dict[str, SessionScore]:
    """The cards of the given sessions that have one."""
    if not ids:
        return {}
    _wanted(store, ids)
    scores = {
        sid: SessionScore(outcome=outcome, overall=overall)
        for sid, outcome, overall in store.query("SELECT session_id, outcome, overall FROM scores " + _IN_SCOPE)
    }
    for sid, dimension, value in store.query("SELECT session_id, dimension, score FROM dimension_scores " + _IN_SCOPE):
        found = scores.get(sid)
        if found is not None:
            found.dimensions[dimension] = value
    return scores


def collapsed_turns(store: Store, ids: Sequence[str]) -> dict[str, int]:
    """Per session, the first turn whose score fell below one half, sharply from the turn before."""
    if not ids:
        return {}
    _wanted(store, ids)
    found: dict[str, int] = {}
    for sid, turns in store.query("SELECT session_id, json_extract(card, '$.turns') FROM scores " + _IN_SCOPE):
        previous = 1.0
        for turn in orjson.loads(turns) if turns else []:
            overall = float(turn.get("overall", 1.0))
            if overall < _COLLAPSE_BELOW and previous - overall >= _COLLAPSE_DROP:
                found[sid] = int(turn["turn_index"])
                break
            previous = overall
    return found
