"""The records the transcript parser makes: plain slotted dataclasses with the fields of the model.

`trajectory_miner.model`'s Turn, Step and Event are the validated shapes the rest of the
project reads; these records carry the same fields in the same order, because the parser makes
hundreds of thousands of them per run and the writer needs only their values. `ParseState` is
what is stored with a transcript's byte offset, so that the next read goes on where this one
stopped; `ParsedBatch` is what one run of lines gave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from trajectory_miner.transcript.kinds import EventKind, TurnKind


@dataclass(slots=True)
class SessionFacts:
    """What one read learned about a session's identity and span."""

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
    version: str = ""
    git_branch: str = ""


@dataclass(slots=True)
class Usage:
    """The tokens of one API response."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_creation: int = 0


@dataclass(slots=True)
class Response:
    """One API response: its model and tokens, counted once however many lines repeat it."""

    session_id: str
    message_id: str
    model: str = ""
    at: datetime | None = None
    usage: Usage = field(default_factory=Usage)


@dataclass(slots=True)
class StepRecord:
    """One tool call and its result, as read (the fields of `model.Step`, in its order)."""

    session_id: str
    tool_use_id: str
    step_index: int
    turn_index: int
    tool_name: str
    input: dict[str, Any] = field(default_factory=dict)
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
    files: list[str] = field(default_factory=list)
    skill_name: str | None = None
    subagent_type: str | None = None
    subagent_id: str | None = None


@dataclass(slots=True)
class TurnRecord:
    """A user request and the work that answered it, as read (the fields of `model.Turn`).

    The counts and `steps` stay empty here: they are kept so the stored parser state has the
    same shape as it always had.
    """

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
    steps: list[StepRecord] = field(default_factory=list)


@dataclass(slots=True)
class EventRecord:
    """Something that happened in a session besides a tool call (the fields of `model.Event`)."""

    session_id: str
    uuid: str
    kind: EventKind
    at: datetime | None = None
    turn_index: int = -1
    step_index: int = -1
    detail: str = ""


@dataclass(slots=True)
class Cursor:
    """Parser state of one session, carried between reads."""

    turn_index: int = -1
    step_index: int = 0
    turn: TurnRecord | None = None
    pending: dict[str, StepRecord] = field(default_factory=dict)
    thought: str = ""


class ParseState(BaseModel):
    """Parser state of one transcript file, stored with its byte offset.

    `default_session` is the file's session when no line names one (its name, from ingest);
    `file_session` is the first session a line of the file named. A title read before any
    line named a session waits, already redacted, in `pending_title`.
    """

    default_session: str = ""
    file_session: str = ""
    pending_title: str = ""
    cursors: dict[str, Cursor] = Field(default_factory=dict)


class ParsedBatch(BaseModel):
    """The records found in a run of lines."""

    sessions: dict[str, SessionFacts] = Field(default_factory=dict)
    turns: dict[tuple[str, str], TurnRecord] = Field(default_factory=dict)
    steps: dict[tuple[str, str], StepRecord] = Field(default_factory=dict)
    events: dict[tuple[str, str, str], EventRecord] = Field(default_factory=dict)
    responses: dict[tuple[str, str], Response] = Field(default_factory=dict)
    lines: int = 0
    skipped_lines: int = 0
    unknown_entry_types: Counter[str] = Field(default_factory=Counter)
    quarantined: list[tuple[int, str]] = Field(
        default_factory=list, description="Lines that could not be read (their index in the run, and why)."
    )

    def keep_sessions(self, keep: Callable[[str], bool]) -> int:
        """Drop every record of the sessions `keep` rejects; returns how many sessions went."""
        before = len(self.sessions)
        self.sessions = {k: v for k, v in self.sessions.items() if keep(k)}
        self.turns = {k: v for k, v in self.turns.items() if keep(k[0])}
        self.steps = {k: v for k, v in self.steps.items() if keep(k[0])}
        self.events = {k: v for k, v in self.events.items() if keep(k[0])}
        self.responses = {k: v for k, v in self.responses.items() if keep(k[0])}
        return before - len(self.sessions)
