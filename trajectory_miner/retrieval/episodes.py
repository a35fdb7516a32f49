"""Stuck episodes: where a session hit an error, what it tried, and what got it past.

An episode is one failure (as `analysis.recoveries` keys it: the specific signature) within
one session: every failing step with that key, from the first to the last. What came after
the last failure says whether the session got past it:

- `verified`: a later step got past it as `analysis.recoveries` defines it — the steps up
  to it are what worked;
- `likely`: the error never came back and work went on without it;
- `no`: the session ended on the error, or did nothing that succeeded after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from trajectory_miner.analysis import recoveries
from trajectory_miner.analysis.commands import is_read_only, programs
from trajectory_miner.analysis.recoveries import Action, Reading
from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.retrieval.text import command_words
from trajectory_miner.textcap import one_line

Resolution = Literal["verified", "likely", "no"]

_MAX_TRIED = 3
_MAX_WORKED = 5
_LOOKAHEAD = 12
_LOOKING_TOOLS = frozenset({"Read", "Grep", "Glob", "LS", "NotebookRead", "WebFetch", "WebSearch"})
_LOOKING_PROGRAMS = frozenset({"ls", "cat", "head", "tail", "grep", "rg", "find", "pwd", "echo", "which", "wc", "tree"})
_LOOKING_GIT = frozenset({"status", "diff", "log", "show", "branch", "remote"})


@dataclass(slots=True)
class RetrievalStep:
    """The parts of a stored step that retrieval reads."""

    step_index: int
    turn_index: int
    tool: str
    summary: str
    thought: str
    is_error: bool
    signature: str | None
    excerpt: str
    files: tuple[str, ...]
    change: str = ""


@dataclass(slots=True)
class Episode:
    """One error family's run of failures in one session, and how it ended."""

    session: str
    signature: str
    family: str
    tool: str
    first_step: int
    last_step: int
    turn_index: int
    attempts: int
    resolution: Resolution
    tried: tuple[str, ...]
    worked_next: tuple[str, ...]
    files: frozenset[str]
    commands: frozenset[str]
    text: str = field(default="", repr=False)


def fix_step(episode: Episode) -> str:
    """The step that got past the error: the last one that acted before the step that showed
    the error gone (that step itself when nothing acted before it), or the first after it."""
    worked = episode.worked_next
    if not worked:
        return ""
    if episode.resolution != "verified":
        return worked[0]
    acting = [line for line in worked[:-1] if not _observes(line)]
    return acting[-1] if acting else worked[-1]


def _observes(line: str) -> bool:
    """True for a step line that only looks (reads, searches, lists, shows a diff)."""
    tool, _, rest = line.partition(": ")
    if tool in _LOOKING_TOOLS:
        return True
    if tool != "Bash":
        return False
    words = rest.split(" — ", 1)[0].split()
    head = program(rest.split(" — ", 1)[0]).lower()
    if head == "git":
        return len(words) > 1 and words[1] in _LOOKING_GIT
    return head in _LOOKING_PROGRAMS


def step_line(step: RetrievalStep, with_thought: bool = True, limit: int = 200) -> str:
    """A step on one line: tool, what it did, the change it made, and why (its thought)."""
    line = f"{step.tool}: {one_line(step.summary, 140)}"
    if step.change:
        line += f" → {one_line(step.change, 80)}"
    if with_thought and step.thought:
        line += f" — {one_line(step.thought, 100)}"
    return one_line(line, limit)


def program(command: str) -> str:
    """The program a shell command runs first (after `cd`, `export` and `VAR=value` parts)."""
    found = programs(command)
    return next((p for p in found if p not in ("cd", "export")), "")


def _action(step: RetrievalStep) -> Action:
    return Action(
        index=step.step_index,
        turn=step.turn_index,
        tool=step.tool,
        command=step.summary if step.tool == "Bash" else "",
        output=step.excerpt,
        is_error=step.is_error,
        files=step.files,
        after=step.change,
        thought=step.thought,
        signature=step.signature or "",
    )


def _worked(steps: Sequence[RetrievalStep], after: int, by: int | None) -> tuple[Resolution, list[RetrievalStep]]:
    later = [s for s in steps if s.step_index > after]
    if by is not None:
        chosen = [s for s in later if s.step_index <= by]
        return "verified", chosen[-_MAX_WORKED:]
    succeeded = [s for s in later[:_LOOKAHEAD] if not s.is_error and _does_work(s)]
    if not succeeded:
        return "no", []
    return "likely", succeeded[: _MAX_WORKED - 1]


def _does_work(step: RetrievalStep) -> bool:
    """Whether a step changed or ran something. Looking around, or asking for help (a search,
    a read, an MCP lookup), is not a sign that the failure was got past."""
    if step.tool in recoveries.EDIT_TOOLS:
        return True
    return step.tool == "Bash" and not is_read_only(step.summary)


def _tried(steps: Sequence[RetrievalStep], failures: Sequence[RetrievalStep]) -> list[str]:
    first, last = failures[0].step_index, failures[-1].step_index
    lines: list[str] = []
    for step in steps:
        if first <= step.step_index <= last:
            line = step_line(step, with_thought=False, limit=140)
            if step.is_error:
                line += " (failed)"
            if line not in lines:
                lines.append(line)
    return lines[:_MAX_TRIED] if len(lines) <= _MAX_TRIED else [*lines[: _MAX_TRIED - 1], lines[-1]]


def _text(failures: Sequence[RetrievalStep], worked: Sequence[RetrievalStep]) -> str:
    parts: list[str] = []
    for step in failures[:4]:
        parts.extend((step.summary, step.thought, step.excerpt, signature_family(step.signature or "")))
    parts.extend(step.thought for step in worked[:2])
    return "\n".join(p for p in parts if p)


def extract(session: str, steps: Sequence[RetrievalStep], intern: Callable[[str], str] = str) -> list[Episode]:
    """The episodes of one session, from its steps in order."""
    traced = recoveries.trace([_action(step) for step in steps], limit=_LOOKAHEAD)
    by_key: dict[str, list[tuple[RetrievalStep, Reading, int]]] = {}
    for pos, (step, reading) in enumerate(zip(steps, traced.readings, strict=True)):
        if reading.failed:
            by_key.setdefault(reading.key, []).append((step, reading, pos))
    episodes: list[Episode] = []
    for key, found in by_key.items():
        failures = [step for step, _, _ in found]
        last, reading, pos = found[-1]
        recovery = traced.recoveries.get(pos)
        resolution, worked = _worked(steps, last.step_index, recovery.by if recovery else None)
        files = {f for s in (*failures, *worked) for f in s.files}
        commands = {w for s in failures if s.tool == "Bash" for w in command_words(s.summary)}
        signature = reading.verdict.signature or last.signature or ""
        episodes.append(
            Episode(
                session=session,
                signature=intern(signature),
                family=intern(key),
                tool=intern(last.tool),
                first_step=failures[0].step_index,
                last_step=last.step_index,
                turn_index=last.turn_index,
                attempts=len(failures),
                resolution=resolution,
                tried=tuple(intern(t) for t in _tried(steps, failures)),
                worked_next=tuple(intern(step_line(s)) for s in worked),
                files=frozenset(intern(f) for f in list(files)[:20]),
                commands=frozenset(intern(c) for c in commands),
                text=_text(failures, worked),
            )
        )
    return episodes
