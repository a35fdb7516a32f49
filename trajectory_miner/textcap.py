"""Keeping stored text small and telling: caps, one-line summaries and touched files."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from itertools import islice
from typing import Any

import orjson

_INPUT_STRING_CAP = 2000
_SUMMARY_CAP = 200
_SUMMARY_SCAN = 64 * 1024

_FILE_KEYS = ("file_path", "notebook_path", "path")
# Control characters, line and paragraph separators and byte-order marks: nothing a line shows.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


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


_MAX_DEPTH = 24
_MAX_ITEMS = 200
_KEY_CAP = 200


def cap_json(value: dict[str, Any], redact: Callable[[str], str]) -> dict[str, Any]:
    """A copy of a tool input with long strings capped, every string and key redacted, at most
    200 items a list or object and nesting cut at 24 levels (deeper values become a marker).

    Walked with a stack of its own, not recursion: an input of any depth costs time linear
    in its size and cannot exhaust the interpreter's stack.
    """
    root: dict[str, Any] = {}
    # Each entry: the container to fill, where the value goes in it, the value, its depth.
    stack: list[tuple[Any, Any, Any, int]] = []
    _push(stack, root, _entries(value, redact), 1)
    while stack:
        parent, slot, item, depth = stack.pop()
        if isinstance(item, str):
            copy: Any = cap(item, _INPUT_STRING_CAP, redact)
        elif not isinstance(item, dict | list):
            copy = item
        elif depth >= _MAX_DEPTH:
            copy = f"…[nested deeper than {_MAX_DEPTH} levels]…"
        elif isinstance(item, dict):
            copy = {}
            _push(stack, copy, _entries(item, redact), depth + 1)
        else:
            copy = [None] * min(len(item), _MAX_ITEMS)
            _push(stack, copy, list(enumerate(item[:_MAX_ITEMS])), depth + 1)
        parent[slot] = copy
    return root


def _push(stack: list[tuple[Any, Any, Any, int]], parent: Any, entries: list[tuple[Any, Any]], depth: int) -> None:
    # Pushed last first, so that they are popped, and an object's keys set, in their order.
    stack.extend((parent, slot, item, depth) for slot, item in reversed(entries))


def _entries(item: dict[Any, Any], redact: Callable[[str], str]) -> list[tuple[Any, Any]]:
    """An object's first 200 entries, keys redacted (a key can be a secret), and a note of the rest."""
    entries: list[tuple[Any, Any]] = [(clip(str(k), _KEY_CAP, redact), v) for k, v in islice(item.items(), _MAX_ITEMS)]
    if len(item) > _MAX_ITEMS:
        entries.append(("…", f"[{len(item) - _MAX_ITEMS} more keys cut]"))
    return entries


def summarise_input(tool_name: str, tool_input: dict[str, Any], redact: Callable[[str], str] = _keep) -> str:
    """One line saying what a tool call did: the command, the file, the pattern."""
    for key in ("command", "file_path", "notebook_path", "pattern", "url", "query", "skill", "description"):
        value = tool_input.get(key)
        if isinstance(value, str) and value:
            # Only the start is kept: no need to split megabytes of it.
            line = " ".join(value[:_SUMMARY_SCAN].split())
            if key == "pattern" and isinstance(tool_input.get("path"), str):
                line = f"{line} in {tool_input['path']}"
            return clip(line, _SUMMARY_CAP, redact)
    if not tool_input:
        return tool_name
    try:
        text = orjson.dumps(tool_input).decode("utf-8", "replace")
    except orjson.JSONEncodeError:
        # Nested past what JSON writers take, or not text: its keys say what there is.
        text = orjson.dumps([str(k) for k in islice(tool_input, _MAX_ITEMS)]).decode()
    return clip(text, _SUMMARY_CAP, redact)


def files_of(tool_name: str, tool_input: dict[str, Any]) -> list[str]:
    """The files or folders a tool call named."""
    files = [v for k in _FILE_KEYS if isinstance(v := tool_input.get(k), str) and v]
    edits = tool_input.get("edits")
    if tool_name == "MultiEdit" and isinstance(edits, list):
        files.extend(e["file_path"] for e in edits if isinstance(e, dict) and isinstance(e.get("file_path"), str))
    return sorted(set(files))


def one_line(text: str, limit: int | None = None) -> str:
    """The text on one line, in NFC form: control characters dropped, whitespace runs made one
    space, and cut to `limit` characters with an ellipsis when a limit is given."""
    line = _SPACES.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFC", text))).strip()
    return line if limit is None or len(line) <= limit else line[: limit - 1].rstrip() + "…"
