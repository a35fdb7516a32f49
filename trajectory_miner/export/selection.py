"""Which sessions go into a training dataset: main sessions scored a success, with their figures.

Both the examples (`export.dataset`) and the preference pairs (`export.pairs`) start from this
selection, so it lives apart from either.
"""

from __future__ import annotations

from pydantic import BaseModel

from trajectory_miner.store import Store


class Selected(BaseModel):
    """A session chosen for the dataset, with the figures of its score card."""

    session_id: str
    project: str
    overall: float
    outcome_confidence: float
    scorer_version: str


def select_sessions(store: Store, min_score: float) -> list[Selected]:
    """Main sessions (not subagent sidechains) scored `success` with an overall of at least `min_score`."""
    rows = store.query(
        """
        SELECT c.session_id, s.project, c.overall, c.outcome_confidence, c.scorer_version
        FROM scores c JOIN sessions s USING (session_id)
        WHERE c.outcome = 'success' AND c.overall >= ? AND NOT s.is_sidechain
        ORDER BY s.started_at NULLS FIRST, c.session_id
        """,
        [min_score],
    )
    return [
        Selected(session_id=r[0], project=r[1], overall=r[2], outcome_confidence=r[3], scorer_version=r[4])
        for r in rows
    ]
