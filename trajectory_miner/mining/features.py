"""Per-session mining features: failures, the fixes that got past them, stuck points, procedures.

Features depend on a session's trajectory alone (never on its scores), so they are computed
once per session content and cached; clusters, skills and replays are rebuilt from them on
every run. Every string in them is already generalised or normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trajectory_miner.analysis import recoveries
from trajectory_miner.analysis.recoveries import Action, Reading, Recovery
from trajectory_miner.mining import behaviours
from trajectory_miner.mining import generalise as gen
from trajectory_miner.mining.behaviours import Behaviour
from trajectory_miner.mining.kinds import failure_kinds
from trajectory_miner.mining.loader import SessionRows, StepRow

# Bump when extraction changes, so cached features are computed again.
FEATURES_VERSION = 12

_EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
_READ_PROGRAMS = frozenset({"cat", "head", "tail", "less", "more", "bat", "sed", "grep", "rg", "nl", "wc"})
_TRUNCATED_SIZE = 30_000
_CONTEXT_WINDOW = 5
_PRECEDING_WINDOW = 10
_MAX_PROCEDURE = 12
_SHORT_VALUE = 24
# An interpreter named by its full path is the same interpreter in every lesson.
_INTERPRETER = re.compile(r"(?<!\S)/\S*/((?:python|pip|pytest|node|npm|npx)[\d.]*)(?=\s|$)")
_MAX_COMMAND = 200


@dataclass(slots=True)
class Failure:
    """A failed step: an error result, or a test run whose output says tests failed."""

    turn: int
    step: int
    tool_use_id: str
    tool: str
    signature: str
    family: str
    kinds: list[str]
    action: str
    head: str
    targets: list[str]
    flagged: bool
    preceded_by: list[int] | None = None
    read_before: bool | None = None
    context_event: str = ""
    resolved: bool = False
    retry_unchanged: bool = False


@dataclass(slots=True)
class Fix:
    """Steps that took a session from a failure to the same kind of action succeeding."""

    family: str
    signature: str
    turn: int
    fail_step: int
    pass_step: int
    fail_action: str
    fail_head: str
    steps: list[str]
    tools: list[str]
    files: list[str]
    # What changed between the failure and the step past it, as [kind, detail, path glob, path class].
    changes: list[list[str]] = field(default_factory=list)
    # The agent's stated reason for the fix, and the command that ran clean (generalised).
    reason: str = ""
    command: str = ""
    # The command as it ran, paths inside the project made relative.
    raw_command: str = ""


@dataclass(slots=True)
class Stuck:
    """A point where a session was stuck, found by a rule."""

    turn: int
    step: int
    tool_use_id: str
    reason: str
    family: str
    resolved: bool
    repeats: int = 1


@dataclass(slots=True)
class Procedure:
    """What one turn did, as a generalised sequence of steps."""

    turn: int
    kind: str
    classes: list[str]
    steps: list[str]
    tools: list[str]
    files: list[str]


@dataclass(slots=True)
class SessionFeatures:
    """Everything the miner needs from one session."""

    session_id: str
    project: str
    models: list[str]
    started: str
    ended: str
    n_steps: int
    failures: list[Failure] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    stuck: list[Stuck] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    behaviours: list[Behaviour] = field(default_factory=list)

    def to_row(self) -> list[Any]:
        """The features as nested lists, small to store and quick to read back."""
        return [
            self.session_id,
            self.project,
            self.models,
            self.started,
            self.ended,
            self.n_steps,
            [_values(f) for f in self.failures],
            [_values(f) for f in self.fixes],
            [_values(s) for s in self.stuck],
            [_values(p) for p in self.procedures],
            [_values(b) for b in self.behaviours],
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> SessionFeatures:
        """Features as `to_row` wrote them."""
        session_id, project, models, started, ended, n_steps, failures, fixes, stuck, procedures, behaviours = row
        return cls(
            session_id,
            project,
            models,
            started,
            ended,
            n_steps,
            [Failure(*f) for f in failures],
            [Fix(*f) for f in fixes],
            [Stuck(*s) for s in stuck],
            [Procedure(*p) for p in procedures],
            [Behaviour(*b) for b in behaviours],
        )


def _values(item: Failure | Fix | Stuck | Procedure | Behaviour) -> list[Any]:
    return [getattr(item, name) for name in item.__slots__]


def _action(row: StepRow) -> Action:
    """A mining row as the analysis reads it."""
    return Action(
        index=row.step,
        turn=row.turn,
        tool=row.tool,
        command=row.summary if row.tool == "Bash" else "",
        output=row.result,
        is_error=row.is_error,
        exit_code=row.exit_code,
        files=tuple(row.files),
        before=row.before,
        after=row.after,
        thought=row.thought,
        signature=row.signature,
    )


def _generalised(row: StepRow) -> tuple[str, str]:
    """A step's generalised action and its head (what ran, without where)."""
    if row.tool == "Bash":
        return gen.command(row.summary), gen.command_head(row.summary)
    return gen.step(row.tool, row.summary, row.files) or row.tool, row.tool


def _truncated(text: str) -> bool:
    """Whether the output the model saw was cut short or moved to a file."""
    return (
        "truncated" in text
        and ("truncated]" in text or "lines truncated" in text or "utput truncated" in text)
        or ("<persisted-output>" in text or "Output too large" in text)
    )


def _reads_files(row: StepRow) -> bool:
    return row.tool == "Read" or (row.tool == "Bash" and gen.command_head(row.summary) in _READ_PROGRAMS)


def _basenames(row: StepRow) -> set[str]:
    paths = list(row.files)
    if row.tool == "Bash":
        paths.extend(gen.path_operands(row.summary))
    return {p.rstrip("/").rsplit("/", 1)[-1] for p in paths if p}


class _Walker:
    """One pass over a session's steps, in order, collecting its features."""

    def __init__(self, rows: SessionRows) -> None:
        self.rows = rows
        self.out = SessionFeatures(
            session_id=rows.session_id,
            project=rows.project,
            models=rows.models,
            started=rows.started.isoformat() if rows.started else "",
            ended=rows.ended.isoformat() if rows.ended else "",
            n_steps=len(rows.steps),
        )
        self.reads: set[str] = set()
        self.last_edit = -1
        self.last_by_family: dict[str, int] = {}
        self.open: dict[str, tuple[Failure, StepRow]] = {}
        self.since_failure: dict[str, list[StepRow]] = {}
        self.turn = -1
        self.events = [(e.turn, e.step, e.kind) for e in rows.events if e.kind in ("compaction", "api_error")]
        self.truncated: list[int] = []
        self.fixed_by: dict[int, Recovery] = {}
        self.failed_steps: set[int] = set()

    def run(self) -> SessionFeatures:
        traced = recoveries.trace([_action(row) for row in self.rows.steps])
        self.fixed_by = {r.failure: r for r in traced.recoveries.values()}
        for row, reading in zip(self.rows.steps, traced.readings, strict=True):
            if row.turn != self.turn:
                self.turn, self.open, self.since_failure = row.turn, {}, {}
            if reading.failed:
                self._failure(row, reading)
            else:
                self._success(row)
            self._remember(row, failed=reading.failed)
        self._stuck()
        self._procedures()
        self.out.behaviours = behaviours.find(self.rows, self.out, traced)
        return self.out

    def _remember(self, row: StepRow, failed: bool) -> None:
        if row.tool in _EDIT_TOOLS:
            self.last_edit = row.step
        elif not failed and _reads_files(row):
            self.reads |= _basenames(row)
        if row.result_size >= _TRUNCATED_SIZE or (row.result and _truncated(row.result)):
            self.truncated.append(row.step)

    def _failure(self, row: StepRow, reading: Reading) -> None:
        action, head = _generalised(row)
        signature = reading.verdict.signature
        family = reading.key
        targets = [gen.file_glob(gen.relative(p, self.rows.cwd)) for p in _target_paths(row)]
        relevant = _basenames(row)
        failure = Failure(
            turn=row.turn,
            step=row.step,
            tool_use_id=row.tool_use_id,
            tool=row.tool,
            signature=signature,
            family=family,
            kinds=failure_kinds(family, row.tool, row.summary),
            action=action,
            head=head,
            targets=sorted({t for t in targets if t and t != "*"}),
            flagged=row.is_error,
            # A file that failed to be read could not have been read before.
            read_before=bool(relevant & self.reads) if relevant and row.tool != "Read" else None,
            context_event=self._context_event(row),
        )
        earlier = [f for f in self.out.failures if f.turn == row.turn and f.family != family]
        if earlier and row.step - earlier[-1].step <= _PRECEDING_WINDOW:
            failure.preceded_by = [earlier[-1].turn, earlier[-1].step]
        previous = self.last_by_family.get(family)
        failure.retry_unchanged = previous is not None and self.last_edit < previous
        self.last_by_family[family] = row.step
        self.out.failures.append(failure)
        self.open[family] = (failure, row)
        self.since_failure[family] = []
        self.failed_steps.add(row.step)
        for other in self.since_failure:
            if other != family:
                self.since_failure[other].append(row)

    def _context_event(self, row: StepRow) -> str:
        low = row.step - _CONTEXT_WINDOW
        for turn, step, kind in self.events:
            if turn == row.turn and low <= step < row.step:
                return kind
        if any(low <= s < row.step for s in self.truncated[-3:]):
            return "truncated_output"
        return ""

    def _success(self, row: StepRow) -> None:
        for family in list(self.open):
            failure, _ = self.open[family]
            recovery = self.fixed_by.get(failure.step)
            if recovery is not None and recovery.by == row.step:
                self._fix(failure, self.since_failure.pop(family) + [row], recovery)
                del self.open[family]
            else:
                self.since_failure[family].append(row)

    def _fix(self, failure: Failure, rows: list[StepRow], recovery: Recovery) -> None:
        for earlier in self.out.failures:
            if earlier.family == failure.family and earlier.turn == failure.turn:
                earlier.resolved = True
        steps = _dedupe([gen.step(r.tool, r.summary, r.files) for r in rows if r.step not in self.failed_steps])
        files = {gen.file_glob(gen.relative(f, self.rows.cwd)) for r in rows for f in r.files}
        last = rows[-1]
        self.out.fixes.append(
            Fix(
                family=failure.family,
                signature=failure.signature,
                turn=failure.turn,
                fail_step=failure.step,
                pass_step=last.step,
                fail_action=failure.action,
                fail_head=failure.head,
                steps=steps[:_MAX_PROCEDURE],
                tools=_dedupe([r.tool for r in rows]),
                files=sorted(f for f in files if f),
                changes=[self._change(c) for c in recovery.changes],
                reason=recovery.reason,
                command=gen.command(last.summary) if last.tool == "Bash" else "",
                raw_command=_relative_command(last.summary, self.rows.cwd) if last.tool == "Bash" else "",
            )
        )

    def _change(self, change: recoveries.Change) -> list[str]:
        # A configuration or dependency file is known by its name (`settings.toml`, `.env`,
        # `pyproject.toml`): that name is part of the lesson. Code and tests become globs.
        relative = gen.relative(change.path, self.rows.cwd) if change.path else ""
        keep = change.path_class in ("config", "dependencies") and not relative.startswith("/")
        path = relative if keep else self._glob(change.path) if change.path else ""
        return [change.kind, _detail(change, self.rows.cwd), path, change.path_class]

    def _stuck(self) -> None:
        found: dict[int, Stuck] = {}
        by_family: dict[str, list[Failure]] = {}
        for failure in self.out.failures:
            by_family.setdefault(failure.family, []).append(failure)
        for family, seen in by_family.items():
            if len(seen) >= 2:
                at = seen[1]
                resolved = any(f.family == family and f.pass_step > at.step for f in self.out.fixes)
                found[at.step] = Stuck(at.turn, at.step, at.tool_use_id, "repeated_error", family, resolved, len(seen))
        for stuck in self._loops():
            found.setdefault(stuck.step, stuck)
        for stuck in self._interrupts():
            found.setdefault(stuck.step, stuck)
        self.out.stuck = [found[k] for k in sorted(found)]

    def _loops(self) -> list[Stuck]:
        """The same failing command run three times in a turn with no edit in between."""
        runs: dict[tuple[int, str], int] = {}
        failed = {f.step: f for f in self.out.failures}
        hits: list[tuple[StepRow, Failure]] = []
        for row in self.rows.steps:
            if row.tool in _EDIT_TOOLS:
                runs = {k: v for k, v in runs.items() if k[0] != row.turn}
            elif row.tool == "Bash":
                key = (row.turn, gen.command(row.summary))
                runs[key] = runs.get(key, 0) + 1
                if runs[key] == 3 and row.step in failed:
                    hits.append((row, failed[row.step]))
        reason = "command_loop"
        return [Stuck(r.turn, r.step, r.tool_use_id, reason, f.family, f.resolved, 3) for r, f in hits]

    def _interrupts(self) -> list[Stuck]:
        """A user interrupt in a turn that had failed before it."""
        marks = [(e.turn, e.step) for e in self.rows.events if e.kind == "interrupt"]
        marks += [(t, 1 << 30) for t, row in self.rows.turns.items() if row.interrupted]
        found: list[Stuck] = []
        for turn, step in sorted(set(marks)):
            before = [f for f in self.out.failures if f.turn == turn and f.step <= step and not f.resolved]
            if before:
                last = before[-1]
                reason = "interrupt_after_failure"
                found.append(Stuck(last.turn, last.step, last.tool_use_id, reason, last.family, False))
        return found

    def _glob(self, path: str) -> str:
        return gen.file_glob(gen.relative(path, self.rows.cwd))

    def _procedures(self) -> None:
        failed = {f.step for f in self.out.failures}
        by_turn: dict[int, list[StepRow]] = {}
        for row in self.rows.steps:
            by_turn.setdefault(row.turn, []).append(row)
        for turn, rows in sorted(by_turn.items()):
            meta = self.rows.turns.get(turn)
            # Only turns that went through without a failure show a procedure worth repeating.
            if meta is None or meta.kind != "prompt" or any(r.step in failed for r in rows):
                continue
            kind = gen.request_kind(meta.prompt)
            classes = _dedupe([gen.action_class(r.tool, r.summary) for r in rows])
            if kind and len(classes) >= 2:
                self.out.procedures.append(
                    Procedure(
                        turn=turn,
                        kind=kind,
                        classes=classes[:_MAX_PROCEDURE],
                        steps=_dedupe([gen.step(r.tool, r.summary, r.files) for r in rows])[:_MAX_PROCEDURE],
                        tools=_dedupe([r.tool for r in rows]),
                        files=sorted({self._glob(f) for r in rows for f in r.files}),
                    )
                )


def _target_paths(row: StepRow) -> list[str]:
    return row.files + (list(gen.path_operands(row.summary)) if row.tool == "Bash" else [])


def _relative_command(command: str, cwd: str) -> str:
    """A command on one line, with the session's own folder left out of its paths."""
    line = _INTERPRETER.sub(r"\1", " ".join(command.split())[:_MAX_COMMAND])
    if cwd:
        root = cwd.rstrip("/")
        line = line.replace(root + "/", "").replace(root, ".")
    return line


def _detail(change: recoveries.Change, cwd: str) -> str:
    """A change's detail without what is this session's own: a long value set in the
    environment becomes `<value>` (its name is the lesson); installs, flags and edits keep
    their words, which are the lesson, with the session's folder left out."""
    if change.kind == "environment":
        name, _, value = change.detail.partition("=")
        return f"{name}={value}" if len(value) <= _SHORT_VALUE else f"{name}=<value>"
    return _relative_command(change.detail, cwd)


def _dedupe(items: list[str]) -> list[str]:
    """Items without blanks and without a repeat of the item just before."""
    out: list[str] = []
    for item in items:
        if item and (not out or out[-1] != item):
            out.append(item)
    return out


def extract(rows: SessionRows) -> SessionFeatures:
    """The mining features of one session."""
    return _Walker(rows).run()
