"""Scoring: every session and turn gets a score per dimension, an overall score and an outcome.

The scorer is deterministic code over the stored trajectory — no model, no tokens — and each
score carries the rule that computed it and the evidence (steps and facts) that moved it.
Cards are stored with `SCORER_VERSION`; after a change to any rule, bump the version and
`rescore_sessions` recomputes them all. A session with no turns (a file that held only
metadata) gets no card: there is nothing to judge, and a card would enter every average.

The names below load with their module on first use, so that a process needing one part
does not import the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from trajectory_miner.scoring.scorer import (
        SCORER_VERSION,
        WEIGHTS,
        overall,
        rescore_sessions,
        score_session,
        stale_session_ids,
    )

_HOMES = {
    "scorer": (
        "SCORER_VERSION",
        "WEIGHTS",
        "overall",
        "rescore_sessions",
        "score_session",
        "stale_session_ids",
    ),
}

__all__ = [
    "SCORER_VERSION",
    "WEIGHTS",
    "overall",
    "rescore_sessions",
    "score_session",
    "stale_session_ids",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
