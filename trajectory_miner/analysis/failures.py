"""What counts as a failed step, one definition for every reader.

A step failed when its result is an error, when it exited non-zero, when a check it ran says
it failed (kind "check"), or when its command hides the exit status (`| tail`, `|| true`) but
its output still shows the failure (kind "hidden"). A call to a tool that does not exist is
kind "no_tool", with the tool's name.

What is not a failure, even with an error flag or a non-zero exit, keeps its kind so a scorer
can tell it from a clean step:

- "no_match": a search that found nothing (`grep`, `rg`, `ag`, `ack`, `find`, `git grep` exit 1
  with no output) and a comparison that found a difference (`diff`, `cmp`, `git diff --quiet`);
- "nothing_to_do": `nothing to commit`, `Already up to date` and the like, with no error shown;
- "rejected": the user declined the call, or a permission rule or hook denied it;
- "sandbox": the sandbox blocked it;
- "cancelled": a parallel call cancelled because its sibling failed;
- "interrupted": the user interrupted it;
- "probe": a question whose answer was no — `which x`, `command -v x`, `type x`, `test -f x`,
  `[ -e x ]`, `x --version` — exit 1 with no output but "not found". A probe that prints an
  error (`node: command not found` from `node --version`) is a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from trajectory_miner.analysis.commands import CommandLine, Simple, parse
from trajectory_miner.analysis.signatures import error_signature
from trajectory_miner.analysis.signatures import exit_code as exit_code_of

FailureKind = Literal["error", "check", "hidden", "no_tool"]
NotFailureKind = Literal["no_match", "nothing_to_do", "rejected", "sandbox", "cancelled", "interrupted", "probe"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a step failed: `kind` says how it failed, or why it is not a failure."""

    failed: bool
    kind: FailureKind | NotFailureKind | None = None
    signature: str = ""
    missing_tool: str | None = None


OK = Verdict(False)

# What Claude Code writes in place of a result, read from the head of the result.
_MARKERS: tuple[tuple[NotFailureKind, re.Pattern[str]], ...] = (
    (
        "rejected",
        re.compile(
            r"doesn't want to proceed with this tool use|tool use was rejected"
            r"|Permission to use \S+ (?:with [^\n]{0,300}? )?has been denied|Hook PreToolUse:\S+ denied this tool"
            r"|PreToolUse:\S+ hook (?:stopped continuation|blocked)"
            r"|Claude requested permissions to [^\n]{0,400}?, but you haven't granted it yet"
        ),
    ),
    (
        "sandbox",
        re.compile(
            r"<sandbox_violations>|Sandbox failed to initialize|(?:blocked|denied) by (?:the )?sandbox"
            r"|sandbox (?:blocked|denied)|was blocked by (?:the )?sandbox|disabled by policy in this environment",
            re.IGNORECASE,
        ),
    ),
    ("cancelled", re.compile(r"Cancelled: parallel tool call")),
    ("interrupted", re.compile(r"\[Request interrupted by user|Interrupted by user|interrupted by user")),
)
_HEAD = 600
# The sandbox reports what it blocked after the command's own output.
_TAIL = 2_000
_NO_TOOL = re.compile(r"No such tool available: ([\w.-]+)")
_NOTHING_TO_DO = re.compile(
    r"nothing to commit|nothing added to commit|no changes added to commit|Already up[ -]to[ -]date"
    r"|Everything up-to-date",
)
_EXIT_LINE = re.compile(r"^\s*Exit code -?\d+\s*$", re.MULTILINE)
# An error key line: what shows a failure in an output whose exit status says nothing.
_SHOWS_FAILURE = re.compile(
    r"^\s*Traceback \(most recent call last\)"
    r"|^\s*(?:E {2,})?(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception): "
    r"|^\s*(?:FAILED|FAIL)\b|^\s*--- FAIL\b"
    r"|command not found|^\S*sh: (?:line )?\d+: \S+: not found"
    r"|^\s*(?:npm ERR!|npm error )|^\s*error(?:\[E\d+\])?: |^\s*fatal: |\berror TS\d+:"
    # argparse's usage error, and Python unable to open the script it was given.
    r"|^[\w./-]+: error: |can't open file ",
    re.MULTILINE,
)
_NOT_FOUND = re.compile(r"\bnot found\b")
# What a count of nothing prints (`grep -c`, `grep -c … a b`).
_ZERO_COUNTS = re.compile(r"(?:[^\n]*:)?0(?:\n(?:[^\n]*:)?0)*")

_SEARCHES = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack", "find", "fd", "pgrep", "locate"})
_COMPARISONS = frozenset({"diff", "cmp", "colordiff"})
_LOOKUPS = frozenset({"which", "type", "hash", "whereis", "test", "[", "[["})
# A listing: a path that is not there is its answer, not a fault.
_PATH_LOOKS = frozenset({"ls"})
_MISSING_PATH = re.compile(
    r"(?:cannot access|cannot stat|can't stat|cannot open)? ?[^\n]*No such file or directory\s*$"
)
_VERSION_FLAGS = frozenset({"--version", "-v", "-V", "version", "-version"})
# Programs whose output is what they read (a log, a file, history): an error in it is not theirs.
_VIEWERS = frozenset(
    {"cat", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag", "ack", "sed", "awk", "jq", "echo"}
    | {"printf", "ls", "find", "wc", "sort", "uniq", "cut", "tree", "diff", "nl", "strings", "xxd", "od", "column"}
)
_VIEWING_GIT = frozenset({"log", "show", "diff", "grep", "blame", "status", "reflog"})
# A test expression a reading may not give as a program: `[ -e x ]`, `[[ -d x ]]` as the last part.
_TEST_EXPRESSION = re.compile(r"(?:^|&&|;)\s*\[\[?\s[^;&|]*\]\]?\s*$")


def _quiet(output: str) -> str:
    """The output without Claude Code's `Exit code N` line, stripped."""
    return _EXIT_LINE.sub("", output).strip()


def _deciding(line: CommandLine) -> list[Simple]:
    """The parts of a command whose exit status can be the whole command's: the last part, and
    every part after which only `&&` and pipes follow (its failure skips the rest). A `$( )`
    computes an argument: its status is not the command's."""
    commands = [c for c in line.commands if getattr(c, "context", "") != "substitution"]
    found: list[Simple] = []
    chained = True  # only `&&` and pipes after the part looked at
    for position in range(len(commands) - 1, -1, -1):
        after = commands[position + 1].connector if position + 1 < len(commands) else ""
        if not after or (after == "&&" and chained):
            found.append(commands[position])
        chained = chained and after in ("", "&&", "|")
    return [c for c in found if not c.is_setup]


def _is_search(simple: Simple) -> bool:
    if simple.program in _SEARCHES:
        return True
    return simple.program == "git" and simple.args[:1] == ("grep",)


def _is_comparison(simple: Simple) -> bool:
    if simple.program in _COMPARISONS:
        return True
    quiet = {"--quiet", "--exit-code"}
    return simple.program == "git" and simple.args[:1] == ("diff",) and bool(quiet & set(simple.args))


def _is_lookup(simple: Simple) -> bool:
    if simple.program in _LOOKUPS:
        return True
    # `command -v x`, read as the program `command` or (through the wrapper) as `-v`.
    if simple.program == "command" and simple.args[:1] in (("-v",), ("-V",)):
        return True
    return simple.program in ("-v", "-V")


def _is_version_probe(simple: Simple) -> bool:
    return len(simple.args) == 1 and simple.args[0] in _VERSION_FLAGS


def _answer(command: str, output: str, code: int | None) -> NotFailureKind | None:
    """Why a non-zero exit of this command is an answer rather than a failure, if it is."""
    if code not in (1, 2) or not command:
        return None
    deciding = _deciding(parse(command))
    quiet = _quiet(output)
    if deciding and all(c.program in _PATH_LOOKS for c in deciding) and _only_missing_paths(quiet):
        return "probe"
    if code != 1:
        return None
    if any(_is_comparison(c) for c in deciding):
        return "no_match"
    if (not quiet or _ZERO_COUNTS.fullmatch(quiet)) and any(_is_search(c) for c in deciding):
        return "no_match"
    said_not_found = all(_NOT_FOUND.search(x) and "command not found" not in x for x in quiet.splitlines())
    lookup = any(_is_lookup(c) for c in deciding) or bool(_TEST_EXPRESSION.search(command[-500:]))
    if (not quiet or said_not_found) and lookup:
        return "probe"
    if not quiet and any(_is_version_probe(c) for c in deciding):
        return "probe"
    return None


def _only_missing_paths(output: str) -> bool:
    """True when every complaint in a look's output is about a path that does not exist (the
    other lines being what it listed)."""
    complaints = [x for x in output.splitlines() if "No such file" in x or "cannot access" in x]
    return bool(complaints) and all(_MISSING_PATH.search(x) for x in complaints)


def _marker(output: str) -> NotFailureKind | None:
    head, tail = output[:_HEAD], output[-_TAIL:]
    for kind, pattern in _MARKERS:
        if pattern.search(head) or (kind == "sandbox" and pattern.search(tail)):
            return kind
    return None


def _runs_something(line: CommandLine) -> bool:
    """Whether a command does work of its own, beyond showing what files and history hold."""
    for simple in line.work():
        if simple.program == "git":
            if next((a for a in simple.args if not a.startswith("-")), "") not in _VIEWING_GIT:
                return True
        elif simple.program not in _VIEWERS:
            return True
    return False


def shows_failure(output: str) -> bool:
    """Whether an output shows an error key line (a traceback, `Error:`, `FAILED`, `command
    not found`, a compiler's or package manager's error), whatever the exit status said."""
    return bool(_SHOWS_FAILURE.search(output[-20_000:]))


def judge(
    tool: str,
    output: str,
    *,
    is_error: bool,
    command: str = "",
    exit_code: int | None = None,
    check_passed: bool | None = None,
    signature: str = "",
) -> Verdict:
    """Whether a step failed, from its tool, output, error flag and (for Bash) its command.

    `exit_code` is the exit status when the caller knows it (else it is read from an error's
    output); `check_passed` is what the check the step ran says (None when it ran none);
    `signature` is the one the store keeps for an error step, made at ingest from the whole
    output: when given, an error verdict carries it rather than one made from `output`.
    """
    output = output or ""
    command = command if tool in ("Bash", "PowerShell") else ""
    code = exit_code if exit_code is not None else exit_code_of(output) if is_error else None
    if not is_error and code in (None, 0):
        if check_passed is False:
            return Verdict(True, "check", error_signature(tool, output, command))
        line = parse(command) if command else None
        if line is not None and line.hides_status() and _runs_something(line) and shows_failure(output):
            return Verdict(True, "hidden", error_signature(tool, output, command))
        return OK
    marker = _marker(output)
    if marker is not None:
        return Verdict(False, marker)
    missing = _NO_TOOL.search(output[:_HEAD])
    if missing:
        found = signature or error_signature(tool, output, command)
        return Verdict(True, "no_tool", found, missing.group(1).rstrip("."))
    if check_passed is not False:
        answer = _answer(command, output, code)
        if answer is not None:
            return Verdict(False, answer)
        if _NOTHING_TO_DO.search(output[:_HEAD]) and not shows_failure(output):
            return Verdict(False, "nothing_to_do")
    return Verdict(True, "error", signature or error_signature(tool, output, command))
