"""Normalised error signatures: the same failure in two sessions gets the same string.

A signature is `<tool>|<exit class>|<key line>`, where the key line is the most telling
line of the error output (the exception, the compiler error, the shell's complaint) with
paths, numbers, hashes and quoted values replaced by placeholders.
"""

from __future__ import annotations

import re

_MAX_KEY = 160

_EXIT_CODE = re.compile(r"\bexit(?:ed with)?(?: code|\s+status)?[:\s]+(\d+)", re.IGNORECASE)

# Ordered from most to least telling; the first family with a match picks the key line.
_KEY_LINE_FAMILIES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:^|\s)(?:[\w.]+\.)?\w*(?:Error|Exception|Exit|Interrupt)\b(?::|$)"),
    re.compile(r"\berror(?:\[\w+\]| TS\d+| [A-Z]+\d+)?:", re.IGNORECASE),
    re.compile(r"(?:npm|yarn|pnpm) ERR!|^\s*fatal:|panic:|Segmentation fault", re.IGNORECASE),
    re.compile(r"command not found|No such file or directory|Permission denied|not recognized"),
    re.compile(r"^\s*(?:FAILED|FAIL|ERROR)\b|\b\d+ failed\b|\bfailed\b", re.IGNORECASE),
    re.compile(r"\b(?:cannot|can't|could not|couldn't|unable to|not found|invalid|denied)\b", re.IGNORECASE),
)

_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\x1b\[[0-9;]*[A-Za-z]"), ""),
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"::[\w\[\].-]+"), "::<test>"),
    (re.compile(r"""(["'`])(?:(?!\1).){0,200}\1"""), "<q>"),
    (re.compile(r"(?:[A-Za-z]:|~|[\w.@+-]+)?(?:[/\\][\w.@+-]+)+[/\\]?"), "<path>"),
    (re.compile(r"\b[\w-]+\.(?:py|js|ts|tsx|jsx|rs|go|rb|java|json|toml|yaml|yml|md|txt|sh|c|h|cpp)\b"), "<file>"),
    (re.compile(r"\b[0-9a-f]{7,64}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\d+(?:\.\d+)*"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise(line: str) -> str:
    """Strip the parts of an error line that differ between two runs of the same failure."""
    for pattern, replacement in _NORMALISERS:
        line = pattern.sub(replacement, line)
    return line.strip()[:_MAX_KEY]


def exit_code(text: str) -> int | None:
    """The exit code a tool result reports, when it reports one."""
    match = _EXIT_CODE.search(text[:200])
    return int(match.group(1)) if match else None


def key_line(text: str) -> str:
    """The most telling line of an error output."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    for family in _KEY_LINE_FAMILIES:
        # Tracebacks name the exception last, so the last match is the one that counts.
        for line in reversed(lines):
            if family.search(line) and not _EXIT_CODE.fullmatch(line.strip()):
                return line
    meaningful = [line for line in lines if not _EXIT_CODE.fullmatch(line.strip())]
    return meaningful[0] if meaningful else lines[0]


def error_signature(tool_name: str, text: str) -> str:
    """The signature of a failed tool call from its tool name and error output."""
    code = exit_code(text)
    exit_class = f"exit{code}" if code is not None else "error"
    key = normalise(key_line(text[-20_000:]))
    return f"{tool_name}|{exit_class}|{key}"


def signature_family(signature: str) -> str:
    """The signature without the tool and exit code, for matching across tools."""
    parts = signature.split("|", 2)
    return parts[2] if len(parts) == 3 else signature
