"""The shapes of retrieval answers, and fitting an answer into its token budget.

Answers are small on purpose: an index of ids with one line each, details on request. Each
answer is measured as compact JSON (about four characters a token); one over budget loses
detail first (reasons, tried steps, long fields), then whole entries from the end, and says
so in `note` with `truncated` set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

from trajectory_miner.retrieval.text import estimate_tokens


class BadRequest(ValueError):
    """A request that names something that does not exist or asks for something impossible."""


DEFAULT_BUDGET = 1500
MAX_BUDGET = 4000
MIN_BUDGET = 200

A = TypeVar("A", bound="Answer")


class Answer(BaseModel):
    """What every answer carries besides its entries."""

    note: str = Field(default="", description="Anything the reader should know: truncation, stale index, no match.")
    truncated: bool = Field(default=False, description="True when entries or detail were cut to fit the budget.")


class ReplayHit(BaseModel):
    """A fragment of a past session, a mined replay or a skill that got past the same kind of step."""

    id: str = Field(description="R-… (replay), S-… (skill) or <session id>#<step> (a session's own fix).")
    kind: Literal["replay", "skill", "session"]
    summary: str = Field(description="One line: what got past it.")
    error: str = Field(default="", description="The error it got past, normalised.")
    tried: list[str] = Field(default_factory=list, description="What was tried first, without success.")
    worked_next: list[str] = Field(default_factory=list, description="The steps that worked, in order.")
    session_ids: list[str] = Field(default_factory=list)
    project: str = ""
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(default_factory=list, description="Why it ranked where it did.")


class ReplayAnswer(Answer):
    """The answer to `find_replay_for_stuck_step`."""

    error_signature: str | None = Field(default=None, description="The signature read from the error text.")
    hits: list[ReplayHit] = Field(default_factory=list)
    dead_ends: list[str] = Field(
        default_factory=list, description="Steps tried after the same error in sessions that stayed stuck."
    )


class SessionLine(BaseModel):
    """One session in a listing."""

    id: str
    project: str
    date: str
    title: str
    outcome: str
    steps: int
    errors: int
    matched: list[str] = Field(default_factory=list, description="Query words the session holds.")


class SessionList(Answer):
    sessions: list[SessionLine] = Field(default_factory=list)


class SkillLine(BaseModel):
    """One skill in a listing."""

    id: str
    name: str
    status: str
    description: str
    support: int
    success_rate: float
    uses: int


class SkillList(Answer):
    skills: list[SkillLine] = Field(default_factory=list)


class SkillDetail(Answer):
    """A whole skill."""

    id: str
    name: str
    status: str
    description: str
    trigger: str
    steps: list[str]
    tools_used: list[str]
    context_requirements: list[str]
    signatures: list[str]
    source_sessions: list[str]
    support: int
    success_rate: float
    uses: int
    successes: int
    feedback: str = ""


class PatternLine(BaseModel):
    """One failure pattern in a listing."""

    id: str
    severity: str
    frequency: int
    sessions: int
    summary: str
    lift: float | None
    suggested_fix_type: str
    example_sessions: list[str] = Field(default_factory=list)


class PatternList(Answer):
    patterns: list[PatternLine] = Field(default_factory=list)


class StepLine(BaseModel):
    """One step of a session."""

    step: int
    turn: int
    tool: str
    summary: str
    error: str | None = None
    thought: str = ""
    result: str = ""


class SessionDetail(Answer):
    """A session: its headline, and its steps on request."""

    id: str
    project: str
    title: str
    started_at: str
    ended_at: str
    outcome: str
    overall_score: float | None = None
    turns: int
    steps: int
    tool_errors: int
    compactions: int
    interrupts: int
    first_prompt: str
    final_text: str
    error_signatures: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    step_lines: list[StepLine] = Field(default_factory=list)
    next_step: int | None = Field(default=None, description="Pass as from_step to read further steps.")


class FeedbackReceipt(Answer):
    feedback_id: str
    target_id: str
    target_kind: str
    verdict: str


def clamp_budget(max_tokens: int | None) -> int:
    """The budget to use for a requested one."""
    if max_tokens is None:
        return DEFAULT_BUDGET
    return max(MIN_BUDGET, min(int(max_tokens), MAX_BUDGET))


def size(answer: BaseModel) -> int:
    """The estimated token cost of an answer."""
    return estimate_tokens(answer.model_dump_json())


def fit(answer: A, budget: int, entries: str, shrinkers: tuple[Callable[[Any], None], ...] = ()) -> A:
    """Cut an answer down to its budget: detail first, then entries from the end of `entries`."""
    if size(answer) <= budget:
        return answer
    answer.truncated = True
    for shrink in shrinkers:
        for entry in getattr(answer, entries):
            shrink(entry)
        if size(answer) <= budget:
            break
    items: list[Any] = getattr(answer, entries)
    total = len(items)
    while len(items) > 1 and size(answer) > budget:
        items.pop()
    cut = total - len(items)
    tail = f"{cut} more {entries} left out to stay within {budget} tokens" if cut else "detail cut to fit"
    answer.note = f"{answer.note}; {tail}" if answer.note else tail
    if size(answer) > budget:
        _squeeze_strings(answer, budget)
    if size(answer) > budget:
        items.clear()
    return answer


def _squeeze_strings(answer: BaseModel, budget: int) -> None:
    """Last resort for a single oversized entry: shorten every long string field."""
    limit = 400
    while size(answer) > budget and limit >= 40:
        _shorten(answer, limit)
        limit //= 2


def _shorten(value: Any, limit: int) -> None:
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            current = getattr(value, name)
            if isinstance(current, str) and len(current) > limit and name != "note":
                setattr(value, name, current[: limit - 1] + "…")
            elif isinstance(current, list):
                for i, item in enumerate(current):
                    if isinstance(item, str) and len(item) > limit:
                        current[i] = item[: limit - 1] + "…"
                    else:
                        _shorten(item, limit)
                if len(current) > 3 and limit < 100:
                    del current[3:]
            else:
                _shorten(current, limit)
