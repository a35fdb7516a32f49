"""What the dimensions need to know about each step, worked out once per session.

Every step gets: the key under which two calls are the same call, whether and how it
failed (a real error, a rejected or interrupted call, a tool that does not exist, a check
whose summary says it failed), the family under which a failure counts as the same failure
again, the check it ran, and the files it read or changed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Literal

import orjson

from trajectory_miner.model import Session, Step
from trajectory_miner.scoring.checks import Check, step_check
from trajectory_miner.scoring.shell import (
    READ_ONLY_PROGRAMS,
    argv,
    command_key,
    is_read_only,
    operands,
    segments,
    surely_writes,
)
from trajectory_miner.signatures import normalise, signature_family

FailureKind = Literal["error", "rejected", "interrupted", "cancelled", "no_tool", "check"]

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
ANY_FILE = "*"

_REJECTED = ("doesn't want to proceed with this tool use", "tool use was rejected")
_INTERRUPTED = ("[Request interrupted by user", "Interrupted by user", "interrupted by user")
_CANCELLED = ("Cancelled: parallel tool call",)
_NO_TOOL = re.compile(r"No such tool available: ([\w.-]+)")
_NOTHING_TO_DO = ("nothing to commit", "nothing added to commit", "no changes added to commit")
_EXIT_LINE = re.compile(r"^Exit code \d+\s*", re.MULTILINE)
_QUIET_WHEN_EMPTY = frozenset(
    {"grep", "egrep", "fgrep", "rg", "ag", "ack", "test", "[", "diff", "cmp", "pgrep", "which"}
)
_GENERIC_FAMILY = re.compile(r"^(?:Exit code <n>|error|failed|<q>|<path>)?$", re.IGNORECASE)


@dataclass(slots=True)
class StepFacts:
    """One step and what the dimensions read from it."""

    step: Step
    command: str = ""
    key: str = ""
    failure: FailureKind | None = None
    family: str = ""
    check: Check | None = None
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
        return self.failure in ("error", "no_tool", "check")


@dataclass(slots=True)
class SessionFacts:
    """A session with its steps read once for every dimension."""

    session: Session
    steps: list[StepFacts]
    checks: list[Check]
    compactions: list[int] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)


def _call_key(step: Step, command: str) -> str:
    if step.tool_name == "Bash":
        return "Bash:" + command_key(command)
    data = step.input
    if step.tool_name == "Read":
        return f"Read:{data.get('file_path')}:{data.get('offset')}:{data.get('limit')}"
    try:
        return step.tool_name + ":" + orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:
        return step.tool_name + ":" + step.summary


def _benign(step: Step, command: str) -> bool:
    """A non-zero exit that reports an answer, not a fault: grep finding nothing, git having
    nothing to commit."""
    text = step.result_text
    if any(marker in text[:600] for marker in _NOTHING_TO_DO):
        return True
    if step.exit_code == 1 and not _EXIT_LINE.sub("", text).strip():
        parts = segments(command)
        last = argv(parts[-1]) if parts else ()
        return bool(last) and last[0] in _QUIET_WHEN_EMPTY
    return False


def _failure(step: Step, command: str, check: Check | None) -> tuple[FailureKind | None, str | None]:
    if not step.is_error:
        if check is not None and check.passed is False:
            return "check", None
        return None, None
    if command and check is None and _benign(step, command):
        return None, None
    head = step.result_text[:400]
    if any(marker in head for marker in _REJECTED):
        return "rejected", None
    if any(marker in head for marker in _CANCELLED):
        return "cancelled", None
    missing = _NO_TOOL.search(head)
    if missing:
        return "no_tool", missing.group(1).rstrip(".")
    if any(marker in head for marker in _INTERRUPTED):
        return "interrupted", None
    return "error", None


def _family(facts: StepFacts) -> str:
    step = facts.step
    if facts.failure == "check" and facts.check is not None:
        return f"check:{facts.check.tool}:{normalise(facts.check.summary)}"
    family = signature_family(step.error_signature or "")
    if _GENERIC_FAMILY.match(family):
        target = facts.key if step.tool_name != "Bash" else command_key(facts.command)
        return f"{step.tool_name}:{target}:{family}"
    return family


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


def _changed(step: Step, command: str, failure: FailureKind | None, check: Check | None) -> tuple[str, ...]:
    # A call that failed is taken to have changed nothing; checks only look.
    if failure is not None and failure != "check":
        return ()
    if step.tool_name in EDIT_TOOLS:
        return tuple(step.files) or (ANY_FILE,)
    if step.tool_name == "Bash" and check is None and command and not is_read_only(command):
        return (ANY_FILE,)
    return ()


def step_facts(step: Step) -> StepFacts:
    """What the dimensions read from one step."""
    command = str(step.input.get("command") or "") if step.tool_name == "Bash" else ""
    check = step_check(step) if command else None
    failure, missing = _failure(step, command, check)
    facts = StepFacts(step=step, command=command, check=check, failure=failure, missing_tool=missing)
    facts.key = _call_key(step, command)
    if failure in ("error", "no_tool", "check"):
        facts.family = _family(facts)
    facts.changed = _changed(step, command, failure, check)
    if facts.changed:
        surely = step.tool_name in EDIT_TOOLS or (bool(command) and surely_writes(command))
        facts.writes = facts.changed if surely else ()
    facts.read = _read_target(step, command) if failure is None else None
    return facts


def session_facts(session: Session) -> SessionFacts:
    """Every step of a session read once, with its checks, compactions and tool availability."""
    steps = [step_facts(step) for turn in session.turns for step in turn.steps]
    steps.sort(key=lambda f: f.index)
    facts = SessionFacts(
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
_SEARCH_LIMIT = 40

Recovery = Literal["resolved", "slow", "repeated", "unresolved"]


@dataclass(frozen=True, slots=True)
class Resolution:
    """What followed a failure: fixed soon, fixed late, the same failure again, or nothing."""

    failure: StepFacts
    status: Recovery
    by: StepFacts | None = None

    @property
    def distance(self) -> int:
        return self.by.index - self.failure.index if self.by is not None else 0


def main_program(command: str) -> str | None:
    """The first program of a command that does more than look around."""
    for part in segments(command):
        words = argv(part)
        if words and words[0] not in READ_ONLY_PROGRAMS:
            return words[0]
    return None


def resolves(failure: StepFacts, later: StepFacts) -> bool:
    """True when a later successful step gets past the failure: the same check passing, the
    same program running cleanly, the same tool or file working, or any tool working after
    a call to a tool that does not exist."""
    if later.failure is not None:
        return False
    if failure.failure == "no_tool":
        return True
    if failure.check is not None:
        return later.check is not None and later.check.tool == failure.check.tool and bool(later.check.passed)
    step, other = failure.step, later.step
    if step.tool_name == "Bash":
        if other.tool_name != "Bash":
            return False
        program = main_program(failure.command)
        return program is not None and program == main_program(later.command)
    if other.tool_name == step.tool_name:
        return True
    # Another tool reaching the same target: the skill's file read instead, the file written whole.
    targets = [t.rsplit("/", 1)[-1] for t in (*step.files, step.skill_name or "") if t]
    return any(t in other.summary for t in targets)


def resolve_failures(steps: list[StepFacts]) -> list[Resolution]:
    """For every failure in order, what became of it."""
    next_same: dict[int, int] = {}
    seen: dict[str, int] = {}
    for pos in range(len(steps) - 1, -1, -1):
        item = steps[pos]
        if item.is_failure:
            if item.family in seen:
                next_same[pos] = seen[item.family]
            seen[item.family] = pos
    found: list[Resolution] = []
    for pos, item in enumerate(steps):
        if not item.is_failure:
            continue
        stop = min(next_same.get(pos, len(steps)), pos + 1 + _SEARCH_LIMIT, len(steps))
        fixed = next((steps[j] for j in range(pos + 1, stop) if resolves(item, steps[j])), None)
        if fixed is not None:
            status: Recovery = "resolved" if fixed.index - item.index <= RECOVERY_WINDOW else "slow"
            found.append(Resolution(item, status, fixed))
        elif pos in next_same:
            found.append(Resolution(item, "repeated", steps[next_same[pos]]))
        else:
            found.append(Resolution(item, "unresolved"))
    return found
