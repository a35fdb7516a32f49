"""Retrieval: what the store knows that helps a live session, found fast and told briefly.

Hybrid and explainable: BM25 over step text (`bm25`), exact and fuzzy error-signature match,
files and commands in common, project, outcome, recency and feedback (`rank`), over stuck
episodes read from the steps table (`episodes`) and the miner's skills and replays when there
are any. The index lives in memory (`index`), is loaded from the documents kept per session
(`kept`) and is refreshed from the store only when the database changed (`live`). Answers are
small and fit a token budget (`answers`).

The names below load with their module on first use, so that a process needing one part (the
store reader's child process, the CLI) does not import the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from trajectory_miner.retrieval.answers import (
        DEFAULT_BUDGET,
        MAX_BUDGET,
        BadRequest,
        FeedbackReceipt,
        PatternList,
        ReplayAnswer,
        ReplayHit,
        SessionDetail,
        SessionList,
        SkillDetail,
        SkillList,
        clamp_budget,
    )
    from trajectory_miner.retrieval.details import session_detail
    from trajectory_miner.retrieval.index import MemoryIndex
    from trajectory_miner.retrieval.listing import (
        get_skill,
        list_patterns,
        list_skills,
        search_sessions,
    )
    from trajectory_miner.retrieval.live import LiveIndex
    from trajectory_miner.retrieval.rank import StuckQuery, find_replays
    from trajectory_miner.retrieval.votes import record_vote

_HOMES = {
    "answers": (
        "DEFAULT_BUDGET",
        "MAX_BUDGET",
        "BadRequest",
        "FeedbackReceipt",
        "PatternList",
        "ReplayAnswer",
        "ReplayHit",
        "SessionDetail",
        "SessionList",
        "SkillDetail",
        "SkillList",
        "clamp_budget",
    ),
    "details": ("session_detail",),
    "index": ("MemoryIndex",),
    "listing": ("get_skill", "list_patterns", "list_skills", "search_sessions"),
    "live": ("LiveIndex",),
    "rank": ("StuckQuery", "find_replays"),
    "votes": ("record_vote",),
}

__all__ = [
    "DEFAULT_BUDGET",
    "MAX_BUDGET",
    "BadRequest",
    "FeedbackReceipt",
    "LiveIndex",
    "MemoryIndex",
    "PatternList",
    "ReplayAnswer",
    "ReplayHit",
    "SessionDetail",
    "SessionList",
    "SkillDetail",
    "SkillList",
    "StuckQuery",
    "clamp_budget",
    "find_replays",
    "get_skill",
    "list_patterns",
    "list_skills",
    "record_vote",
    "search_sessions",
    "session_detail",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
