"""Keeping stored text small and telling: caps, one-line summaries and touched files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

_INPUT_STRING_CAP = 2000
_SUMMARY_CAP = 200

_FILE_KEYS = ("file_path", "notebook_path", "path")


# Text is redacted a little past each cut, so that a secret the cut runs through is still
# recognised whole and replaced, instead of half of it being kept under the pattern's length.
_REDACT_MARGIN = 256


def _keep(text: str) -> str:
    return text


def clip(text: str, limit: int, redact: Callable[[str], str] = _keep) -> str:
    """The first `limit` characters of the redacted text."""
    if len(text) <= limit:
        return redact(text)
    return redact(text[: limit + _REDACT_MARGIN])[:limit]


def cap(text: str, limit: int, redact: Callable[[str], str] = _keep) -> str:
    """The redacted text, or its head and tail with a marker saying how much was cut."""
    if len(text) <= limit:
        return redact(text)
    head = limit * 2 // 3
    tail = limit - head
    start = redact(text[: head + _REDACT_MARGIN])[:head]
    end = redact(text[-(tail + _REDACT_MARGIN) :])[-tail:]
    return f"{start}\n…[{len(text) - limit} characters cut]…\n{end}"


def cap_json(value: dict[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    """A copy of a tool input with long strings capped and every string redacted."""

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return cap(item, _INPUT_STRING_CAP, redact)
        if isinstance(item, dict):
            return {str(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item[:200]]
        return item

    walked = walk(value)
    return walked if isinstance(walked, dict) else {}


def summarise_input(tool_name: str, tool_input: dict[str, Any], redact: Callable[[str], str] = _keep) -> str:
    """One line saying what a tool call did: the command, the file, the pattern."""
    for key in ("command", "file_path", "notebook_path", "pattern", "url", "query", "skill", "description"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            line = " ".join(value.split())
            if key == "pattern" and isinstance(tool_input.get("path"), str):
                line = f"{line} in {tool_input['path']}"
            return clip(line, _SUMMARY_CAP, redact)
    if not tool_input:
        return tool_name
    return clip(orjson.dumps(tool_input).decode("utf-8", "replace"), _SUMMARY_CAP, redact)


def files_of(tool_name: str, tool_input: dict[str, Any]) -> list[str]:
    """The files or folders a tool call named."""
    files = [v for k in _FILE_KEYS if isinstance(v := tool_input.get(k), str) and v]
    edits = tool_input.get("edits")
    if tool_name == "MultiEdit" and isinstance(edits, list):
        files.extend(e["file_path"] for e in edits if isinstance(e, dict) and isinstance(e.get("file_path"), str))
    return sorted(set(files))
