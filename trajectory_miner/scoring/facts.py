"""What the dimensions need to know about each step, worked out once per session.

Every step gets: the key under which two calls are the same call, whether and how it
failed (a real error, a rejected or interrupted call, a tool that does not exist, a check
whose summary says it failed), the family under which a failure counts as the same failure
again, the check it ran, and the files it read or changed.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Literal

import orjson

from trajectory_miner.analysis import recoveries
from trajectory_miner.analysis.checks import CheckRun, step_check
from trajectory_miner.analysis.commands import argv, identity, is_read_only, operands, segments, surely_writes
from trajectory_miner.analysis.recoveries import Action, Reading
from trajectory_miner.model import Session, Step

FailureKind = Literal["error", "check", "hidden", "no_tool", "rejected", "interrupted", "cancelled", "sandbox"]
# What a verdict that is not a failure still tells the dimensions: the user or the sandbox
# stopped the call, or a sibling's failure cancelled it. Other non-failures are clean steps.
_STOPPED: dict[str, FailureKind] = {
    "rejected": "rejected",
    "interrupted": "interrupted",
    "cancelled": "cancelled",
    "sandbox": "sandbox",
}

EDIT_TOOLS = recoveries.EDIT_TOOLS
ANY_FILE = "*"


@dataclass(slots=True)
class StepFacts:
    """One step and what the dimensions read from it."""

    step: Step
    reading: Reading
    command: str = ""
    key: str = ""
    failure: FailureKind | None = None
    family: str = ""
    check: CheckRun | None = None
    changed: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    read: str | None = None
    missing_tool: str | None = None

    @property
    def turn(self) -> int:
        return self.step.turn_index

    @property
    def index(self) -> int:
        return self.step.step_index

    @property
    def is_failure(self) -> bool:
        """A failure the work itself caused (not the user stopping it, not a sibling's)."""
        return self.reading.failed


@dataclass(slots=True)
class ScoringFacts:
    """A session with its steps read once for every dimension."""

    session: Session
    steps: list[StepFacts]
    checks: list[CheckRun]
    compactions: list[int] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)


def action(step: Step) -> Action:
    """A stored step as the analysis reads it."""
    command = str(step.input.get("command") or "") if step.tool_name == "Bash" else ""
    before = after = ""
    if step.tool_name in EDIT_TOOLS:
        before = str(step.input.get("old_string") or "")
        after = str(step.input.get("new_string") or step.input.get("content") or "")
    return Action(
        index=step.step_index,
        turn=step.turn_index,
        tool=step.tool_name,
        command=command,
        output=step.result_text,
        is_error=step.is_error,
        exit_code=step.exit_code,
        files=tuple(step.files),
        before=before,
        after=after,
        thought=step.thought,
        signature=step.error_signature or "",
    )


def _call_key(step: Step, command: str) -> str:
    if step.tool_name == "Bash":
        return "Bash:" + identity(command)
    data = step.input
    if step.tool_name == "Read":
        return f"Read:{data.get('file_path')}:{data.get('offset')}:{data.get('limit')}"
    try:
        return step.tool_name + ":" + orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return step.tool_name + ":" + step.summary


def _failure(reading: Reading) -> FailureKind | None:
    verdict = reading.verdict
    if verdict.failed:
        return (
            "hidden" if verdict.kind == "hidden" else verdict.kind if verdict.kind in ("check", "no_tool") else "error"
        )
    return _STOPPED.get(verdict.kind or "")


def _read_target(step: Step, command: str) -> str | None:
    """The file a call read whole: a Read without a range, or a lone `cat FILE`."""
    if step.tool_name == "Read":
        if step.input.get("offset") is None and step.input.get("limit") is None:
            path = step.input.get("file_path")
            return str(path) if path else None
        return None
    if step.tool_name == "Bash":
        parts = segments(command)
        if len(parts) == 1:
            words = argv(parts[0])
            files = operands(words)
            if words and words[0] == "cat" and len(files) == 1:
                return files[0]
    return None


def _changed(step: Step, command: str, failure: FailureKind | None, check: CheckRun | None) -> tuple[str, ...]:
    # A call that failed is taken to have changed nothing; checks only look.
    if failure is not None and failure not in ("check", "hidden"):
        return ()
    if step.tool_name in EDIT_TOOLS:
        return tuple(step.files) or (ANY_FILE,)
    if step.tool_name == "Bash" and check is None and command and not is_read_only(command):
        return (ANY_FILE,)
    return ()


def step_facts(step: Step) -> StepFacts:
    """What the dimensions read from one step."""
    reading = recoveries.read(action(step))
    command = reading.action.command
    check = step_check(step) if command else None
    failure = _failure(reading)
    facts = StepFacts(step=step, reading=reading, command=command, check=check, failure=failure)
    facts.missing_tool = reading.verdict.missing_tool
    facts.key = _call_key(step, command)
    if reading.failed:
        facts.family = reading.key
    facts.changed = _changed(step, command, failure, check)
    if facts.changed:
        surely = step.tool_name in EDIT_TOOLS or (bool(command) and surely_writes(command))
        facts.writes = facts.changed if surely else ()
    facts.read = _read_target(step, command) if failure is None else None
    return facts


def session_facts(session: Session) -> ScoringFacts:
    """Every step of a session read once, with its checks, compactions and tool availability."""
    steps = [step_facts(step) for turn in session.turns for step in turn.steps]
    steps.sort(key=lambda f: f.index)
    facts = ScoringFacts(
        session=session,
        steps=steps,
        checks=[f.check for f in steps if f.check is not None],
        compactions=sorted(e.step_index for e in session.events if e.kind == "compaction"),
    )
    for item in steps:
        if item.read and not item.read.startswith("/") and session.cwd:
            item.read = posixpath.normpath(posixpath.join(session.cwd, item.read))
        if item.missing_tool:
            facts.unavailable.add(item.missing_tool)
        elif item.failure is None:
            facts.used.add(item.step.tool_name)
    return facts


# --- what became of each failure ----------------------------------------------------------

RECOVERY_WINDOW = 6

Recovery = Literal["resolved", "slow", "repeated", "unresolved"]


@dataclass(frozen=True, slots=True)
class FailureResolution:
    """What followed a failure: fixed soon, fixed late, the same failure again, or nothing."""

    failure: StepFacts
    status: Recovery
    by: StepFacts | None = None

    @property
    def distance(self) -> int:
        return self.by.index - self.failure.index if self.by is not None else 0


def resolve_failures(steps: list[StepFacts]) -> list[FailureResolution]:
    """For every failure in order, what became of it (as `analysis.recoveries` reads it)."""
    traced = recoveries.follow([item.reading for item in steps])
    found: list[FailureResolution] = []
    for pos in traced.failures():
        item = steps[pos]
        recovery = traced.recoveries.get(pos)
        if recovery is not None:
            by = next(s for s in steps[pos + 1 :] if s.index == recovery.by)
            status: Recovery = "resolved" if recovery.distance <= RECOVERY_WINDOW else "slow"
            found.append(FailureResolution(item, status, by))
        elif pos in traced.repeats:
            found.append(FailureResolution(item, "repeated", steps[traced.repeats[pos]]))
        else:
            found.append(FailureResolution(item, "unresolved"))
    return found
