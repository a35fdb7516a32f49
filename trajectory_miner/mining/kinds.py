"""What kind of failure a step is: its signature, its canonical family and its failure types.

Whether a step failed is `analysis.failures.judge`'s to say (an error that is a failure, a
check whose summary says it failed, a failure a pipe hid; not a search with no match, a
refusal or an interrupt). Its family is the part of its signature two occurrences of one
failure share whatever the tool; its types say what went wrong, the most telling first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trajectory_miner.analysis.checks import command_check
from trajectory_miner.analysis.failures import judge
from trajectory_miner.analysis.signatures import is_generic, signature_family
from trajectory_miner.mining import generalise as gen
from trajectory_miner.mining.loader import StepRow

# Failure types, by what the error says; the first match is the primary type.
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    ("tool_unavailable", r"No such tool available|is not available|Unknown tool"),
    ("user_rejected", r"doesn't want to proceed|tool use was rejected|Permission to use .* denied"),
    ("interrupted", r"interrupted by user|^Interrupted"),
    ("import_error", r"ModuleNotFoundError|ImportError|No module named|Cannot find (?:module|package)"),
    ("command_not_found", r"command not found|: not found$|not recognized as|No such command|Missing script"),
    ("file_not_found", r"File does not exist|No such file or directory|ENOENT"),
    ("edit_mismatch", r"String to replace not found|has not been read yet|modified since|Found \d+ matches"),
    ("permission", r"Permission denied|EACCES|Operation not permitted"),
    ("syntax_error", r"SyntaxError|JSONDecodeError|IndentationError|parse error|Unexpected token"),
    ("type_check", r"error TS\d+|is not assignable|incompatible type|mypy"),
    ("build_error", r"could not compile|error\[E\d+\]|undefined: |cannot find symbol|build failed"),
    ("vcs_error", r"failed to push|\[rejected\]|CONFLICT|nothing to commit|not a git repository"),
    ("network", r"timed out|Connection refused|ECONNREFUSED|Could not resolve host|rate limit|\b429\b"),
    ("test_failure", r"AssertionError|assert|FAILED|--- FAIL|Tests?:? .*failed|test result: FAILED|panicked"),
    ("runtime_error", r"\w+(?:Error|Exception)\b|panic:|Traceback"),
)
_KINDS = tuple((kind, re.compile(words, re.I)) for kind, words in _KIND_WORDS)


@lru_cache(maxsize=65_536)
def canonical_family(signature: str, head: str = "") -> str:
    """The part of a signature that two occurrences of one failure share, whatever the tool:
    its specific signature. One that says no more than "it failed" is told apart by what
    failed: the program its signature names (` @ pytest`), else its tool. (`head` is no
    longer read: the program is the failing part's, which the signature carries.)"""
    family = signature_family(signature)
    if is_generic(signature) and " @ " not in family:
        tool = signature.split("|", 1)[0] if signature.count("|") >= 2 else ""
        family = f"{family or 'failed'} @ {tool}" if tool else family or "failed"
    return family


def failure_kinds(family: str, tool: str, command: str) -> list[str]:
    """The failure types an error belongs to, the most telling first."""
    kinds = [primary_kind(family)]
    if tool == "Bash" and gen.is_test_command(command) and "test_failure" not in kinds:
        kinds.append("test_failure")
    return kinds


@lru_cache(maxsize=65_536)
def primary_kind(family: str) -> str:
    return next((kind for kind, pattern in _KINDS if pattern.search(family)), "other")


def failure_signature(row: StepRow) -> str:
    """The signature of a failed step, or '' when the step did not fail (as `judge` reads it)."""
    command = row.summary if row.tool == "Bash" else ""
    check = command_check(command, row.result, row.is_error, row.exit_code) if command else None
    verdict = judge(
        row.tool,
        row.result,
        is_error=row.is_error,
        command=command,
        exit_code=row.exit_code,
        check_passed=check.passed if check is not None else None,
        signature=row.signature,
    )
    return verdict.signature if verdict.failed else ""
