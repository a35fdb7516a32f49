"""What kind of failure a step is: its signature, its canonical family and its failure types.

A failed step is an error result, or a test run whose output says tests failed though the
tool did not flag an error. Its family is the part of its signature two occurrences of one
failure share whatever the tool; its types say what went wrong, the most telling first.
"""

from __future__ import annotations

import re
from functools import lru_cache

from trajectory_miner.mining import generalise as gen
from trajectory_miner.mining.loader import StepRow
from trajectory_miner.signatures import error_signature, signature_family

_TEST_FAILED = re.compile(
    r"(?m)^(?:FAILED\b|FAIL\b|--- FAIL|ERROR\b)|\b[1-9]\d* (?:failed|errors?)\b|test result: FAILED"
    r"|Tests:\s+[1-9]\d* failed|\bInterrupted: [1-9]\d* errors?"
)
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
_FAMILY_CLEANERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"</?tool_use_error>"), ""),
    (re.compile(r"^(?:<path>|\S+): line <n>: "), ""),
    (re.compile(r"^E\s+"), ""),
    (re.compile(r"^FAILED \S+ - "), ""),
    (re.compile(r"^<file>:<n>: (?=\w+Error\b)"), ""),
    # What an assertion compared belongs to its test; that an assertion failed is what recurs.
    (re.compile(r"^(AssertionError)\b.*"), r"\1"),
    (re.compile(r"\b[\w.+-]+: command not found"), "<cmd>: command not found"),
    (re.compile(r"\s+"), " "),
)
_WORD = re.compile(r"[A-Za-z]{3,}")


@lru_cache(maxsize=65_536)
def canonical_family(signature: str, head: str) -> str:
    """The part of a signature that two occurrences of one failure share, whatever the tool."""
    family = signature_family(signature)
    for pattern, replacement in _FAMILY_CLEANERS:
        family = pattern.sub(replacement, family)
    family = family.strip()
    # A key line with no words of its own ("FAIL", "# <path>") says nothing without its command.
    if len(_WORD.findall(re.sub(r"<\w+>", "", family))) < 2:
        family = f"{family or 'failed'} @ {head}"
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
    """The signature of a failed step, or '' when the step did not fail."""
    if row.is_error:
        return row.signature or error_signature(row.tool, row.result)
    if row.tool == "Bash" and gen.is_test_command(row.summary) and _TEST_FAILED.search(row.result):
        return error_signature(row.tool, row.result)
    return ""
