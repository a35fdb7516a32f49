"""The trajectory model: a Session holds Turns, a Turn holds Steps.

A turn is one user request and the work that answered it; a step is one tool call with its
input, its result and, when it failed, a normalised error signature. Events are the other
things worth knowing about a session (compactions, interrupts, API errors, slash commands,
skill loads, subagent calls), each pointing at the turn and step where it happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from trajectory_miner.transcript.kinds import EventKind, TurnKind

__all__ = ["Event", "EventKind", "Outcome", "Session", "Step", "TokenUsage", "Turn", "TurnKind"]

Outcome = Literal["success", "partial", "failure", "unknown"]


class TokenUsage(BaseModel):
    """Tokens of a session, each API response counted once."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0

    def add(self, other: TokenUsage, sign: int = 1) -> None:
        self.input += sign * other.input
        self.output += sign * other.output
        self.cache_read += sign * other.cache_read
        self.cache_creation += sign * other.cache_creation


class Step(BaseModel):
    """One tool call and its result."""

    session_id: str
    tool_use_id: str
    step_index: int
    turn_index: int
    tool_name: str
    input: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    thought: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    has_result: bool = False
    result_text: str = ""
    result_size: int = 0
    is_error: bool = False
    error_signature: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    files: list[str] = Field(default_factory=list)
    skill_name: str | None = None
    subagent_type: str | None = None
    subagent_id: str | None = None


class Turn(BaseModel):
    """A user request and the work that answered it."""

    session_id: str
    turn_index: int
    uuid: str
    kind: TurnKind = "prompt"
    prompt: str = ""
    command_name: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    n_steps: int = 0
    n_errors: int = 0
    interrupted: bool = False
    final_text: str = ""
    steps: list[Step] = Field(default_factory=list)


class Event(BaseModel):
    """Something that happened in a session besides a tool call."""

    session_id: str
    uuid: str
    kind: EventKind
    at: datetime | None = None
    turn_index: int = -1
    step_index: int = -1
    detail: str = ""


class Session(BaseModel):
    """One Claude Code session (or one subagent's sidechain)."""

    session_id: str
    project: str = ""
    cwd: str = ""
    transcript_path: str = ""
    parent_session_id: str | None = None
    agent_id: str | None = None
    is_sidechain: bool = False
    title: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    model: str = ""
    models: list[str] = Field(default_factory=list)
    version: str = ""
    git_branch: str = ""
    n_turns: int = 0
    n_steps: int = 0
    n_tool_errors: int = 0
    n_compactions: int = 0
    n_interrupts: int = 0
    n_api_errors: int = 0
    tokens: TokenUsage = Field(default_factory=TokenUsage)
    turns: list[Turn] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)

    def steps(self) -> list[Step]:
        """Every step of the session in order."""
        return [step for turn in self.turns for step in turn.steps]
