"""The miner: recurring failure patterns, skill candidates, replay candidates and self-questions.

`mine` reads the sessions in scope (each session's features come from a cache while its
content is unchanged), splits them by their stored score cards, clusters their failures,
extracts procedures from the high-scoring ones, links stuck points to what got past them,
puts the five questions to every pattern, stores the items and returns the report. It is
deterministic and spends no tokens.

The names below load with their module on first use, so that a process needing one part
does not import the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from trajectory_miner.mining.miner import mine
    from trajectory_miner.mining.report import MiningReport, render_markdown

_HOMES = {
    "miner": ("mine",),
    "report": (
        "MiningReport",
        "render_markdown",
    ),
}

__all__ = [
    "MiningReport",
    "mine",
    "render_markdown",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
