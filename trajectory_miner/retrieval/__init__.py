"""Retrieval: what the store knows that helps a live session, found fast and told briefly.

Hybrid and explainable: BM25 over step text (`bm25`), exact and fuzzy error-signature match,
files and commands in common, project, outcome, recency and feedback (`rank`), over stuck
episodes read from the steps table (`episodes`) and the miner's skills and replays when there
are any. The index lives in memory (`index`) and is refreshed from the store only when the
database changed (`live`). Answers are small and fit a token budget (`answers`).
"""

from trajectory_miner.retrieval.answers import (
    DEFAULT_BUDGET,
    MAX_BUDGET,
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
    BadRequest,
    get_skill,
    list_patterns,
    list_skills,
    search_sessions,
)
from trajectory_miner.retrieval.live import LiveIndex
from trajectory_miner.retrieval.rank import StuckQuery, find_replays
from trajectory_miner.retrieval.votes import record_feedback

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
    "record_feedback",
    "search_sessions",
    "session_detail",
]
