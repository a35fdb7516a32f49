"""Pathological transcripts: a 1,000-deep tool input, a 1 MB hex error line, a 50 MB line.

Shared by the trust suite and `bench/pathological.py`. The deep input and the error are
written as JSON text directly: the standard library's JSON writer would recurse as deep.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

NORMAL = "11111111-1111-4111-8111-111111111111"
PATHOLOGICAL = "22222222-2222-4222-8222-222222222222"
DEPTH = 1_000
HEX_CHARS = 1_000_000
BIG_LINE_CHARS = 50_000_000
UNREADABLE_DEPTH = 2_000  # past what the JSON reader takes: the line is quarantined
_NESTED = "@@nested@@"


def _at(second: int) -> str:
    return f"2026-03-01T10:00:{second:02d}Z"


def _user(sid: str, uuid: str, second: int, content: Any, cwd: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "user",
        "sessionId": sid,
        "uuid": uuid,
        "timestamp": _at(second),
        "message": {"role": "user", "content": content},
    }
    if cwd:
        entry["cwd"] = cwd
    return entry


def _tool_use(sid: str, uuid: str, second: int, tool_id: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "assistant",
        "sessionId": sid,
        "uuid": uuid,
        "timestamp": _at(second),
        "message": {
            "id": f"msg-{uuid}",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": tool_id, "name": "Bash", "input": tool_input}],
            "usage": {"input_tokens": 10, "output_tokens": 5},
        },
    }


def _result(sid: str, uuid: str, second: int, tool_id: str, text: str, error: bool) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": tool_id, "is_error": error, "content": text}
    return _user(sid, uuid, second, [block])


def normal_lines(sid: str = NORMAL) -> list[str]:
    """A short session: a prompt, a failing test run, a fix, a passing run, a closing text."""
    entries = [
        _user(sid, "n1", 0, "make the tests pass", cwd="/home/dev/shop"),
        _tool_use(sid, "n2", 1, "nt1", {"command": "pytest -q"}),
        _result(sid, "n3", 2, "nt1", "Exit code 1\nModuleNotFoundError: No module named 'requests'", True),
        _tool_use(sid, "n4", 3, "nt2", {"command": "pip install requests"}),
        _result(sid, "n5", 4, "nt2", "Successfully installed requests", False),
        _tool_use(sid, "n6", 5, "nt3", {"command": "pytest -q"}),
        _result(sid, "n7", 6, "nt3", "3 passed", False),
    ]
    return [json.dumps(e) for e in entries]


def nested(depth: int) -> str:
    """JSON text of an object nested `depth` levels deep."""
    return '{"k": ' * depth + '"leaf"' + "}" * depth


def pathological_lines(
    sid: str = PATHOLOGICAL, big_line_chars: int = BIG_LINE_CHARS, unreadable: bool = True
) -> list[str]:
    """A session with the deep input, the long hex error and the huge prompt (and, with
    `unreadable`, one line nested past what any JSON reader takes)."""
    rng = random.Random(17)
    hex_run = "".join(rng.choice("0123456789abcdef") for _ in range(HEX_CHARS))
    lines = [
        json.dumps(_user(sid, "p1", 0, "build it", cwd="/home/dev/blobs")),
        json.dumps(_tool_use(sid, "p2", 1, "pt1", {"command": "make", "options": _NESTED})).replace(
            f'"{_NESTED}"', nested(DEPTH)
        ),
        json.dumps(_result(sid, "p3", 2, "pt1", "ok", False)),
        json.dumps(_tool_use(sid, "p4", 3, "pt2", {"command": "./verify blob"})),
        json.dumps(_result(sid, "p5", 4, "pt2", f"Exit code 1\nError: bad blob /tmp/{hex_run} at 0x1f", True)),
        json.dumps(_user(sid, "p6", 5, "y" * big_line_chars)),
    ]
    if unreadable:
        lines.append(json.dumps(_user(sid, "p7", 6, _NESTED)).replace(f'"{_NESTED}"', nested(UNREADABLE_DEPTH)))
    lines.append(json.dumps(_tool_use(sid, "p8", 7, "pt3", {"command": "ls"})))
    return lines


def write_project(folder: Path, with_pathological: bool = True, big_line_chars: int = BIG_LINE_CHARS) -> Path:
    """The normal session, and beside it (when asked) the pathological one; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{NORMAL}.jsonl").write_text("\n".join(normal_lines()) + "\n", encoding="utf-8")
    if with_pathological:
        text = "\n".join(pathological_lines(big_line_chars=big_line_chars)) + "\n"
        (folder / f"{PATHOLOGICAL}.jsonl").write_text(text, encoding="utf-8")
    return folder


def offset_of_line(path: Path, number: int) -> int:
    """The byte offset where line `number` (from 0) of a file starts."""
    offset = 0
    with path.open("rb") as handle:
        for _ in range(number):
            offset += len(handle.readline())
    return offset
