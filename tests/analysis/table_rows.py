"""The tables of tool calls the tests check, with the rows whose text stays in the shared corpus.

`command_table.json` and `failure_table.json` mix two kinds of rows. Rows from the project's
fixtures, rows written by hand and rows from corpus sources whose licence allows quoting carry
their text. Rows from corpus sources that are public but not licensed for redistribution carry
a reference instead, `"corpus": {"file": …, "call_id": …}` (the file relative to
../shared/corpus, the id of the call in it), and only expectations that do not reproduce the
text. Their text is read back from the corpus here; where the corpus is absent those rows are
marked to skip.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ABSENT = "the shared corpus is not beside the repository"


@dataclass(frozen=True)
class Call:
    """A tool call read from a transcript, with its result when the transcript holds one."""

    tool: str
    command: str
    output: str | None = None
    is_error: bool = False


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str))


def _arguments(raw: Any) -> dict[str, Any]:
    try:
        found = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _call(item: dict[str, Any]) -> tuple[str, str, str] | None:
    """(id, tool, command) of a call in the shapes of Claude Code, pi, Gemini CLI and Codex."""
    kind = item.get("type")
    if kind == "tool_use" and "name" in item:
        return str(item.get("id")), str(item["name"]), str(_arguments(item.get("input")).get("command") or "")
    if kind == "toolCall":
        return str(item.get("id")), str(item.get("name")), str(_arguments(item.get("arguments")).get("command") or "")
    if kind == "tool_use" and "tool_name" in item:
        command = _arguments(item.get("parameters")).get("command")
        return str(item.get("tool_id")), str(item["tool_name"]), str(command or "")
    if kind == "function_call":
        return str(item.get("call_id")), str(item.get("name")), str(_arguments(item.get("arguments")).get("cmd") or "")
    return None


def _items(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))


@cache
def calls(file: str) -> dict[str, Call]:
    """Every call of a corpus file by its id; Claude Code's calls with their results."""
    found: dict[str, Call] = {}
    results: dict[str, tuple[str, bool]] = {}
    for line in (CORPUS / file).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        for item in _items(entry):
            if item.get("type") == "tool_result" and "tool_use_id" in item:
                results[str(item["tool_use_id"])] = (_text(item.get("content")), item.get("is_error") is True)
            elif (call := _call(item)) is not None:
                found.setdefault(call[0], Call(call[1], call[2]))
    for key, (output, is_error) in results.items():
        if key in found:
            found[key] = Call(found[key].tool, found[key].command, output, is_error)
    return found


def has_text(row: dict[str, Any]) -> bool:
    """Whether the row carries its text or has had it read from the corpus."""
    return "command" in row


def resolve(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the text of its call filled in from the corpus when it points there and the
    corpus is beside the repository; unchanged otherwise."""
    reference = row.get("corpus")
    if reference is None or not CORPUS.is_dir():
        return row
    call = calls(reference["file"]).get(reference["call_id"])
    if call is None:
        raise LookupError(f"{reference} is not in {CORPUS}")
    if call.tool != row.get("tool", call.tool):
        raise ValueError(f"{reference} is a {call.tool} call, the row says {row['tool']}")
    text: dict[str, Any] = {"tool": call.tool, "command": call.command}
    if call.output is not None:
        text |= {"output": call.output, "is_error": call.is_error}
    return row | text


def _load(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def command_rows() -> list[dict[str, Any]]:
    """The rows of `command_table.json`, those pointing into the corpus read from it if it is here."""
    return [resolve(row) for row in _load("command_table.json")]


def failure_table() -> dict[str, Any]:
    """`failure_table.json`: its rows, read from the corpus where they point there, and the
    pairs of names that must share a signature (`same`) or must not (`different`)."""
    table: dict[str, Any] = _load("failure_table.json")
    return table | {"rows": [resolve(row) for row in table["rows"]]}


def runnable(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if has_text(row)]


def params(rows: Sequence[dict[str, Any]], ids: Sequence[str]) -> list[Any]:
    """The rows as test parameters; a row whose text is in the absent corpus is skipped."""
    skip = pytest.mark.skip(reason=ABSENT)
    return [pytest.param(row, id=key, marks=() if has_text(row) else skip) for row, key in zip(rows, ids, strict=True)]


# --- shell commands of whole transcripts ----------------------------------------------------


def shell_commands(value: Any) -> Iterator[str]:
    """Shell commands in a transcript entry: Claude Code's Bash, Codex's exec_command, pi's bash
    and Gemini's run_shell_command calls."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        stack.extend(item.values())
        found: Any = None
        if item.get("type") == "tool_use" and item.get("name") == "Bash":
            found = (item.get("input") or {}).get("command")
        elif item.get("type") == "toolCall" and item.get("name") == "bash":
            found = (item.get("arguments") or {}).get("command")
        elif item.get("tool_name") == "run_shell_command":
            found = (item.get("parameters") or {}).get("command")
        elif item.get("type") == "function_call" and item.get("name") == "exec_command":
            try:
                found = json.loads(item.get("arguments") or "{}").get("cmd")
            except (ValueError, AttributeError):
                found = None
        if isinstance(found, str):
            yield found


def corpus_commands(corpus: Path = CORPUS) -> list[str]:
    """Every shell command of every transcript under `corpus`, in file order."""
    commands: list[str] = []
    for path in sorted(corpus.rglob("*.json*")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                commands.extend(shell_commands(json.loads(line)))
            except ValueError:
                continue
    return commands
