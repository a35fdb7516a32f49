"""What got a session past a failure, and what changed on the way: one definition for every reader.

A later step got past a failure when it runs the same program (in any part of its command;
`cd`, `export` and `VAR=value` parts do not count as the program), about the same file when
the failure named one, and its output no longer shows the failure; or when the failed check
runs clean. For a file tool, the same tool working on the same file; for a call to a tool
that does not exist, any tool working. The recovery records what changed in between: edits
by the class of the file (tests, source, config, dependencies, docs) with a short before and
after, environment changes, installs, commands run to prepare the work, flags added to the
failed command; and the reason the agent gave when it gave one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from trajectory_miner.analysis import checks
from trajectory_miner.analysis.commands import READ_ONLY_PROGRAMS, CommandLine, Simple, is_read_only, parse
from trajectory_miner.analysis.failures import Verdict, judge
from trajectory_miner.analysis.signatures import is_generic, signature_family

EDIT_TOOLS = frozenset({"Edit", "Write", "MultiEdit", "NotebookEdit"})
PathClass = Literal["tests", "source", "config", "dependencies", "docs", "other"]
ChangeKind = Literal["edit", "environment", "install", "command", "step"]

SEARCH_LIMIT = 40
_DETAIL = 120
_CANNOT_OPEN = re.compile(r"can't open file|Cannot find module '<path>'")
# Test runners name the files of failing tests: `FAILED tests/test_x.py::test_y`, `ERROR
# tests/test_x.py`, `FAIL src/x.test.ts`.
_FAILING_FILE = re.compile(r"^(?:FAILED|ERROR|FAIL)\s+(\S+?\.\w+)(?:::|\s|$)", re.MULTILINE)
_HELP = frozenset({"--help", "-h", "--version", "-V", "help"})
_FILTERS = frozenset({"tail", "head", "grep", "egrep", "rg", "tee", "sort", "uniq", "wc", "cat", "less", "cut", "awk"})
_FILE_STEM = re.compile(r"(?:^|[\s/=.])([A-Za-z_][\w-]*)\.(?:py|js|mjs|cjs|ts|tsx|jsx|rb|go|rs|sh|java|php)\b")
_MODULE = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+$")
_INSTALLERS = {
    "pip": ("install",),
    "pip3": ("install",),
    "uv": ("add", "pip", "sync"),
    "poetry": ("add", "install"),
    "pipenv": ("install",),
    "npm": ("install", "i", "ci", "add"),
    "yarn": ("add", "install"),
    "pnpm": ("add", "install", "i"),
    "bun": ("add", "install"),
    "cargo": ("add", "install"),
    "go": ("get", "install"),
    "gem": ("install",),
    "bundle": ("install", "add"),
    "apt-get": ("install",),
    "apt": ("install",),
    "brew": ("install",),
    "conda": ("install",),
}
_DEPENDENCY_FILES = re.compile(
    r"(?:^|/)(?:requirements[\w.-]*\.txt|Pipfile(?:\.lock)?|poetry\.lock|uv\.lock|package-lock\.json|yarn\.lock"
    r"|pnpm-lock\.yaml|Cargo\.lock|go\.sum|Gemfile(?:\.lock)?|package\.json|go\.mod|Cargo\.toml)$"
)
_TEST_FILES = re.compile(
    r"(?:^|/)(?:tests?|spec|__tests__)/|(?:^|/)(?:test_[^/]*|[^/]*_test\.\w+|[^/]*\.(?:test|spec)\.\w+)$"
)
_CONFIG_FILES = re.compile(
    r"(?:^|/)(?:\.env[\w.-]*|[^/]*\.(?:toml|ini|cfg|conf|ya?ml|json|properties)|Dockerfile|Makefile"
    r"|\.[\w-]+rc(?:\.\w+)?|conftest\.py)$"
)
_DOC_FILES = re.compile(r"(?:^|/)docs?/|\.(?:md|rst|txt|adoc)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Action:
    """One step as the analysis reads it, whatever shape the store gave it."""

    index: int
    turn: int
    tool: str
    command: str = ""
    output: str = ""
    is_error: bool = False
    exit_code: int | None = None
    files: tuple[str, ...] = ()
    before: str = ""
    after: str = ""
    thought: str = ""
    signature: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """One thing done between a failure and the step that got past it."""

    kind: ChangeKind
    detail: str
    path: str = ""
    path_class: PathClass | Literal[""] = ""


@dataclass(frozen=True, slots=True)
class Recovery:
    """A failure and the step that got past it, with what changed in between and why."""

    failure: int
    by: int
    changes: tuple[Change, ...] = ()
    reason: str = ""

    @property
    def distance(self) -> int:
        return self.by - self.failure


@dataclass(slots=True)
class Reading:
    """An action with its verdict and command read once."""

    action: Action
    verdict: Verdict
    line: CommandLine | None = None
    check: tuple[str, bool | None] | None = None
    target: Simple | None = None
    _key: str = field(default="")

    @property
    def failed(self) -> bool:
        return self.verdict.failed

    @property
    def key(self) -> str:
        """What two occurrences of the same failure share: the specific signature, or, when that
        says nothing, the tool and the program or file it hit."""
        if not self._key:
            specific = signature_family(self.verdict.signature)
            if is_generic(self.verdict.signature):
                where = self.target.program if self.target else ",".join(self.action.files) or self.action.tool
                specific = f"{self.action.tool} {where}: {specific or 'failed'}"
            self._key = specific
        return self._key


def failing_part(line: CommandLine) -> Simple | None:
    """The simple command a failure belongs to: the last part that does the work, not a setup
    part (`cd`, `export`, `VAR=`) and not a filter the output was piped through."""
    chosen: Simple | None = None
    for simple in line.commands:
        if simple.is_setup or (simple.connector == "|" and simple.program in _FILTERS):
            continue
        chosen = simple
    return chosen


def read(action: Action) -> Reading:
    """An action with its command read and its verdict given."""
    line = parse(action.command) if action.tool == "Bash" and action.command else None
    check = _check(action, line) if line is not None else None
    verdict = judge(
        action.tool,
        action.output,
        is_error=action.is_error,
        command=action.command,
        exit_code=action.exit_code,
        check_passed=check[1] if check else None,
    )
    # The part of the command that did the work (and so the one that failed).
    target = failing_part(line) if line is not None else None
    return Reading(action, verdict, line, check, target)


def _check(action: Action, line: CommandLine) -> tuple[str, bool | None] | None:
    found = checks.check_kind(action.command)
    if found is None:
        return None
    # A Bash call that was not an error exited 0, whether or not the store kept the code.
    code = action.exit_code if action.exit_code is not None or action.is_error else 0
    passed, _ = checks.read_result(action.output, action.is_error, code)
    return found[1], passed


def _stems(text: str) -> set[str]:
    """The names of the files or dotted modules a command names, without folders and extensions."""
    found = {m.lower() for m in _FILE_STEM.findall(text)}
    for word in text.split():
        if _MODULE.match(word):
            found.add(word.rsplit(".", 1)[-1].lower())
    return found


def gets_past(failed: Reading, later: Reading) -> bool:
    """True when a later step got past a failure."""
    if later.failed or later.verdict.kind in ("rejected", "interrupted", "cancelled"):
        return False
    if failed.verdict.kind == "no_tool":
        return later.action.tool != failed.action.tool or later.action.tool in EDIT_TOOLS
    if failed.check is not None:
        return (
            later.check is not None
            and later.check[0] == failed.check[0]
            and later.check[1] is True
            and (_covers(failed, later))
        )
    step, other = failed.action, later.action
    if step.tool == "Bash":
        return other.tool == "Bash" and _same_work(failed, later)
    if other.tool == step.tool:
        return not step.files or bool(set(step.files) & set(other.files))
    if step.tool in EDIT_TOOLS and other.tool in EDIT_TOOLS:
        return bool(set(step.files) & set(other.files))
    return False


def _same_work(failed: Reading, later: Reading) -> bool:
    part = failed.target
    if part is None or part.program in READ_ONLY_PROGRAMS or later.line is None:
        return False
    # The same work runs the same program on at least what the failed run named: its script,
    # subcommand or test file, however it is named (`scripts/report.py`, `scripts.report`).
    # Flags and their values may be added; a different subcommand is other work.
    # When the program could not open the script it was given, the name was the mistake:
    # the same program on another script is the same work put right.
    wanted = set() if _CANNOT_OPEN.search(failed.verdict.signature) else _operand_keys(part)
    return any(_same_part(part, wanted, c) for c in later.line.commands)


def _same_part(part: Simple, wanted: set[str], other: Simple) -> bool:
    """Whether a simple command runs the work a failed one ran (asking it for its usage or
    version is not running it)."""
    if other.program != part.program or other.is_setup or _HELP & set(other.args):
        return False
    return wanted <= _operand_keys(other)


def _covers(failed: Reading, later: Reading) -> bool:
    """A later check run covers a failed one when it runs what the failed one named, or
    everything (no operands). A failed run of everything is covered by a narrower run only
    when that run names the files whose tests failed: a subset that avoids them passing
    proves nothing about the failure."""
    part, again = failed.target, later.target
    if part is None or again is None:
        return True
    wanted, ran = _operand_keys(part), _operand_keys(again)
    if not ran:
        return True
    if not wanted:
        wanted = _failing_files(failed.action.output)
        return bool(wanted) and wanted <= ran
    return wanted <= ran


def _failing_files(output: str) -> set[str]:
    """The stems of the test files a runner's output names as failing."""
    found: set[str] = set()
    for path in _FAILING_FILE.findall(output):
        found |= _stems(path) or {path.rsplit("/", 1)[-1].lower()}
    return found


def _operand_keys(simple: Simple) -> set[str]:
    keys: set[str] = set()
    for arg in simple.args:
        if not arg or arg.startswith("-"):
            continue
        stems = _stems(arg)
        keys |= stems if stems else {arg.rsplit("/", 1)[-1].lower()}
    return keys


def path_class(path: str) -> PathClass:
    """What kind of file a path is, for telling a fix in the tests from one in the code."""
    if _TEST_FILES.search(path):
        return "tests"
    if _DEPENDENCY_FILES.search(path):
        return "dependencies"
    if _CONFIG_FILES.search(path):
        return "config"
    if _DOC_FILES.search(path):
        return "docs"
    return "source" if "." in path.rsplit("/", 1)[-1] else "other"


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _DETAIL else line[: _DETAIL - 1] + "…"


def changes_of(reading: Reading, failed: Reading | None = None) -> list[Change]:
    """What one step changed: an edit with its before and after, environment changes, installs,
    files written by the shell, and (for the step that got past a failure) how its command
    differs from the failed one."""
    action = reading.action
    if action.tool in EDIT_TOOLS:
        path = action.files[0] if action.files else ""
        detail = f"{_short(action.before)} → {_short(action.after)}" if action.before else _short(action.after)
        return [Change("edit", detail, path, path_class(path))]
    if reading.line is None or reading.failed:
        return []
    found: list[Change] = []
    for name_value in reading.line.environment:
        found.append(Change("environment", _short(name_value)))
    target = failed.target if failed is not None else None
    wanted = _operand_keys(target) if target is not None else set()
    for simple in reading.line.commands:
        written = simple.writes_to
        if _is_install(simple):
            found.append(Change("install", _short(" ".join(simple.words))))
        for path in written:
            found.append(Change("edit", _short(simple.text), path, path_class(path)))
        again = target is not None and _same_part(target, wanted, simple)
        if not (written or _is_install(simple) or simple.is_setup or again) and _is_step(simple):
            found.append(Change("step", _short(simple.text)))
    if failed is not None and failed.target is not None:
        added = _added_arguments(failed.target, reading)
        if added:
            found.append(Change("command", _short(" ".join(added))))
    return found


def _is_install(simple: Simple) -> bool:
    verbs = _INSTALLERS.get(simple.program)
    if not verbs or not simple.args:
        return False
    return simple.args[0] in verbs or (simple.program == "uv" and simple.args[:2] == ("pip", "install"))


def _is_step(simple: Simple) -> bool:
    """A command run to prepare the work (`mkdir -p var`, `python build_cache.py`): it does
    something, not only looks, and is not a filter fed by a pipe."""
    if simple.connector == "|" or simple.context == "substitution" or not simple.program:
        return False
    return not is_read_only(simple.text)


def _added_arguments(failed: Simple, later: Reading) -> list[str]:
    """The arguments the recovering run passes to the failed program that the failed run did not."""
    if later.line is None:
        return []
    same = [c for c in later.line.commands if c.program == failed.program]
    if not same:
        return []
    before = set(failed.args)
    return [a for a in same[-1].args if a not in before]


def stated_reason(readings: Sequence[Reading]) -> str:
    """The reason the agent gave for its fix: the last thought before the step that did it."""
    for reading in reversed(readings):
        if reading.action.thought.strip():
            return _short(reading.action.thought)
    return ""


@dataclass(slots=True)
class Trace:
    """Every failure of a session in order, with what became of it."""

    readings: list[Reading]
    recoveries: dict[int, Recovery] = field(default_factory=dict)
    # Per failure (by position), the position of the next occurrence of the same failure.
    repeats: dict[int, int] = field(default_factory=dict)

    def failures(self) -> list[int]:
        return [i for i, r in enumerate(self.readings) if r.failed]


def trace(actions: Sequence[Action], limit: int = SEARCH_LIMIT) -> Trace:
    """Read a session's actions in order and find, for every failure, the step that got past it
    (searched up to the next occurrence of the same failure) and what changed in between."""
    return follow([read(a) for a in actions], limit)


def follow(readings: list[Reading], limit: int = SEARCH_LIMIT) -> Trace:
    """`trace` over actions already read."""
    found = Trace(readings)
    last_seen: dict[str, int] = {}
    for pos in range(len(readings) - 1, -1, -1):
        if readings[pos].failed:
            key = readings[pos].key
            if key in last_seen:
                found.repeats[pos] = last_seen[key]
            last_seen[key] = pos
    for pos in found.failures():
        failed = readings[pos]
        stop = min(found.repeats.get(pos, len(readings)), pos + 1 + limit, len(readings))
        for later in range(pos + 1, stop):
            if gets_past(failed, readings[later]):
                found.recoveries[pos] = _recovery(readings, pos, later)
                break
    return found


def _recovery(readings: list[Reading], pos: int, by: int) -> Recovery:
    failed = readings[pos]
    between = readings[pos + 1 : by + 1]
    changes: list[Change] = []
    for reading in between:
        for change in changes_of(reading, failed if reading is readings[by] else None):
            if change not in changes:
                changes.append(change)
    return Recovery(failed.action.index, readings[by].action.index, tuple(changes), stated_reason(between))
