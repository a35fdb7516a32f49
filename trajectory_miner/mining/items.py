"""Mined items — patterns, incidents, skills, replays — and how they are stored and read.

The shapes keep every field of the design's PATTERN, SKILL and REPLAY seeds and add the
evidence a reader needs to judge them (lift, significance, support, success rate). Ids are
stable: an item is keyed by its cluster key, and the same cluster keeps its id across runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from trajectory_miner.store import Store
from trajectory_miner.utc import stored

Severity = Literal["critical", "high", "medium", "low"]
FixType = Literal["skill_update", "prompt_edit", "code_fix", "architecture", "config"]
SkillStatus = Literal["candidate", "approved", "exported", "rejected", "retired"]
Answer = Literal["yes", "no", "partly", "open"]

T = TypeVar("T", bound=BaseModel)

SEVERITY_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class StepRef(BaseModel):
    """A pointer at one step of one session."""

    session_id: str
    turn_index: int
    step_index: int
    tool_use_id: str = ""


class SelfQuestion(BaseModel):
    """One of the five questions put to every pattern, with the answer the data supports."""

    question: str
    answer: Answer
    explanation: str = ""
    evidence: list[StepRef] = Field(default_factory=list)


class Pattern(BaseModel):
    """A failure seen in at least two sessions (the seed's PATTERN shape plus evidence)."""

    id: str
    cluster_key: str
    frequency: int
    dimensions: list[str] = Field(default_factory=list)
    failure_types: list[str] = Field(default_factory=list)
    root_cause_cluster: str = ""
    affected_targets: list[str] = Field(default_factory=list)
    example_sessions: list[str] = Field(default_factory=list)
    # For a behaviour: sessions that met the same situation and did otherwise.
    contrast_sessions: list[str] = Field(default_factory=list)
    severity: Severity = "low"
    suggested_fix_type: FixType = "skill_update"
    lift: float | None = None
    p_value: float | None = None
    sessions: list[str] = Field(default_factory=list)
    failing_sessions: int = 0
    succeeding_sessions: int = 0
    projects: list[str] = Field(default_factory=list)
    signature: str = ""
    evidence: list[StepRef] = Field(default_factory=list)
    self_questions: list[SelfQuestion] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None


class Incident(BaseModel):
    """A failure cluster seen in one session only: listed apart, never a rule."""

    id: str
    cluster_key: str
    session_id: str
    signature: str = ""
    failure_types: list[str] = Field(default_factory=list)
    evidence: list[StepRef] = Field(default_factory=list)


class Skill(BaseModel):
    """A reusable procedure (the seed's SKILL shape plus provenance and counters)."""

    id: str
    cluster_key: str
    name: str = ""
    description: str
    trigger: str
    # Why the procedure works (the cause, from what the fixes changed) and the kind of fix.
    why: str = ""
    fix_kind: str = ""
    steps: list[str] = Field(default_factory=list)
    tools_used: list[str] = Field(default_factory=list)
    context_requirements: list[str] = Field(default_factory=list)
    source_sessions: list[str] = Field(default_factory=list)
    support: int = 0
    success_rate: float = 0.0
    status: SkillStatus = "candidate"
    uses: int = 0
    successes: int = 0
    projects: list[str] = Field(default_factory=list)
    signatures: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Replay(BaseModel):
    """A stuck point linked to what got past it elsewhere (the seed's REPLAY shape)."""

    id: str
    cluster_key: str
    stuck_session: str
    stuck_at: StepRef
    # The stuck step in words: what ran, how it failed, how often.
    stuck_step: str = ""
    stuck_reason: str = ""
    signature: str = ""
    successful_pattern: str = ""
    successful_session: str = ""
    next_steps: list[str] = Field(default_factory=list)
    expected_improvement: str = ""
    confidence: float = 0.0


_TABLES: dict[str, type[BaseModel]] = {
    "patterns": Pattern,
    "incidents": Incident,
    "skills": Skill,
    "replays": Replay,
}


def save_items(store: Store, table: str, items: Sequence[BaseModel]) -> None:
    """Store mined items of one kind, replacing those with the same id."""
    if table not in _TABLES:
        raise ValueError(f"unknown table {table}")
    if not items:
        return
    now = stored()
    ids = [getattr(i, "id") for i in items]  # noqa: B009 - every mined item has an id
    keys = [getattr(i, "cluster_key") for i in items]  # noqa: B009
    # DuckDB refuses INSERT OR REPLACE on a table with two unique keys (id and cluster_key).
    store.execute(
        f"DELETE FROM {table} WHERE id IN (SELECT unnest($1::VARCHAR[])) "
        "OR cluster_key IN (SELECT unnest($2::VARCHAR[]))",
        [ids, keys],
    )
    store.execute(
        f"INSERT INTO {table} SELECT unnest($1), unnest($2), unnest($3), unnest($4::TIMESTAMP[])",
        [ids, keys, [i.model_dump_json() for i in items], [now] * len(items)],
    )


def delete_items(store: Store, table: str, ids: Sequence[str]) -> None:
    """Remove mined items of one kind by id."""
    if table not in _TABLES:
        raise ValueError(f"unknown table {table}")
    if ids:
        store.execute(f"DELETE FROM {table} WHERE id IN (SELECT unnest($1::VARCHAR[]))", [list(ids)])


def _load(store: Store, table: str, model: type[T]) -> list[T]:
    rows = store.query(f"SELECT data FROM {table} ORDER BY id")
    return [model.model_validate_json(r[0]) for r in rows]


def load_patterns(store: Store) -> list[Pattern]:
    return _load(store, "patterns", Pattern)


def load_incidents(store: Store) -> list[Incident]:
    return _load(store, "incidents", Incident)


def load_skills(store: Store) -> list[Skill]:
    return _load(store, "skills", Skill)


def load_replays(store: Store) -> list[Replay]:
    return _load(store, "replays", Replay)


def ids_by_cluster(store: Store, table: str) -> dict[str, str]:
    """The id each cluster key already has, so a cluster keeps its id from run to run."""
    if table not in _TABLES:
        raise ValueError(f"unknown table {table}")
    return {key: item_id for item_id, key in store.query(f"SELECT id, cluster_key FROM {table}")}
