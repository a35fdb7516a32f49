"""Small stores for retrieval tests: sessions written as Claude Code transcripts, then ingested.

A session is a prompt and a list of `Call`s (a Bash command or a file tool, its output, and
whether it failed); `write_session` lays it out as 2.1.330 writes a transcript and
`build_store` ingests a set of them into a store in a data home.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.store import open_store

START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
MODULE_ERROR = (
    "Traceback (most recent call last):\n"
    '  File "/work/app/scripts/{name}.py", line 3, in <module>\n'
    "    from helpers import fmt\n"
    "ModuleNotFoundError: No module named 'helpers'"
)
PORT_ERROR = "Error: listen EADDRINUSE: address already in use :::{port}"


@dataclass(frozen=True)
class Call:
    """One tool call of a scripted session."""

    command: str
    output: str = ""
    error: bool = False
    thought: str = ""
    tool: str = "Bash"


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _tool_input(call: Call) -> dict[str, Any]:
    if call.tool == "Bash":
        return {"command": call.command, "description": "Run a command"}
    if call.tool == "Edit":
        return {"file_path": call.command, "old_string": "old", "new_string": call.output or "new"}
    return {"file_path": call.command}


def session_entries(session_id: str, prompt: str, calls: list[Call], cwd: str, start: datetime) -> list[dict[str, Any]]:
    """The transcript entries of a one-prompt session."""
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": session_id,
        "version": "2.1.330",
        "gitBranch": "main",
    }
    usage = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    clock = iter(start + timedelta(seconds=i) for i in range(10_000))
    entries: list[dict[str, Any]] = [
        {
            **base,
            "type": "user",
            "message": {"role": "user", "content": prompt},
            "uuid": f"{session_id}-prompt",
            "timestamp": _stamp(next(clock)),
        }
    ]
    for number, call in enumerate(calls):
        tool_id = f"toolu_{session_id[:8]}_{number:03d}"
        blocks: list[dict[str, Any]] = []
        if call.thought:
            blocks.append({"type": "text", "text": call.thought})
        blocks.append({"type": "tool_use", "id": tool_id, "name": call.tool, "input": _tool_input(call)})
        entries.append(
            {
                **base,
                "type": "assistant",
                "uuid": f"{session_id}-{number}-call",
                "timestamp": _stamp(next(clock)),
                "requestId": f"req_{session_id[:8]}_{number}",
                "message": {
                    "model": "claude-opus-4-5",
                    "id": f"msg_{session_id[:8]}_{number}",
                    "type": "message",
                    "role": "assistant",
                    "content": blocks,
                    "stop_reason": "tool_use",
                    "usage": usage,
                },
            }
        )
        text = f"Exit code 1\n{call.output}" if call.error and call.tool == "Bash" else call.output or "ok"
        result = {"type": "tool_result", "tool_use_id": tool_id, "content": text, "is_error": call.error}
        entries.append(
            {
                **base,
                "type": "user",
                "uuid": f"{session_id}-{number}-result",
                "timestamp": _stamp(next(clock)),
                "message": {"role": "user", "content": [result]},
                "toolUseResult": "Error: " + text if call.error else {"stdout": text, "stderr": ""},
            }
        )
    entries.append(
        {
            **base,
            "type": "assistant",
            "uuid": f"{session_id}-end",
            "timestamp": _stamp(next(clock)),
            "requestId": f"req_{session_id[:8]}_end",
            "message": {
                "model": "claude-opus-4-5",
                "id": f"msg_{session_id[:8]}_end",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": "Done."}],
                "stop_reason": "end_turn",
                "usage": usage,
            },
        }
    )
    return entries


def write_session(
    projects: Path,
    session_id: str,
    prompt: str,
    calls: list[Call],
    *,
    cwd: str = "/work/app",
    start: datetime = START,
) -> Path:
    """Write one session's transcript where Claude Code would; returns its path."""
    folder = projects / cwd.replace("/", "-")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session_id}.jsonl"
    lines = [json.dumps(e) for e in session_entries(session_id, prompt, calls, cwd, start)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(database: Path, *paths: Path) -> None:
    """Ingest transcripts (files or folders) into the store."""
    with open_store(database) as store:
        ingest_paths(store, list(paths), Config())


def module_error(name: str) -> str:
    return MODULE_ERROR.format(name=name)


def stuck_module_session(name: str) -> list[Call]:
    """A session that hits the module error and never gets past it."""
    return [
        Call(f"python scripts/{name}.py", module_error(name), error=True),
        Call(f"cd scripts && python {name}.py", module_error(name), error=True),
        Call("pip install helpers", "ERROR: No matching distribution found for helpers", error=True),
        Call(f"python scripts/{name}.py", module_error(name), error=True),
    ]


def fixed_module_session(name: str) -> list[Call]:
    """A session that gets past the module error by running the script as a module."""
    return [
        Call(f"python scripts/{name}.py", module_error(name), error=True),
        Call(
            f"python -m scripts.{name}",
            "Total: 530.49",
            thought="helpers lives at the repo root, so run the script as a module from there.",
        ),
    ]


def port_session(port: int, fixed: bool) -> list[Call]:
    """A session that hits a port already in use; fixed by freeing the port."""
    calls = [Call("npm start", PORT_ERROR.format(port=port), error=True)]
    if fixed:
        calls += [
            Call(f"lsof -ti:{port} | xargs kill", "", thought="Something still listens on the port; stop it."),
            Call("npm start", "listening on port"),
        ]
    return calls


FIXED_SESSIONS = ("f1xed000-0000-4000-8000-000000000001", "f1xed000-0000-4000-8000-000000000002")
STUCK_SESSIONS = (
    "57uck000-0000-4000-8000-000000000001",
    "57uck000-0000-4000-8000-000000000002",
    "57uck000-0000-4000-8000-000000000003",
)
PORT_FIXED = "90r7f1x0-0000-4000-8000-000000000001"
PORT_STUCK = "90r75tck-0000-4000-8000-000000000001"
DISTRACTOR = "d157r4c7-0000-4000-8000-000000000001"


def planted_store(home: Path) -> Path:
    """A store where a module error was fixed twice and stuck three times, plus a port error and noise.

    Stuck sessions are the most recent and repeat the error most often, so only the signals
    that favour sessions which got past the error can rank the fixes first.
    """
    projects = home / "transcripts"
    for number, sid in enumerate(FIXED_SESSIONS):
        write_session(
            projects,
            sid,
            f"Run the {number} report",
            fixed_module_session(f"report_{number}"),
            start=START + timedelta(days=number),
        )
    for number, sid in enumerate(STUCK_SESSIONS):
        write_session(
            projects,
            sid,
            f"Export job {number}",
            stuck_module_session(f"export_{number}"),
            cwd="/work/other",
            start=START + timedelta(days=10 + number),
        )
    write_session(
        projects,
        PORT_FIXED,
        "Start the dev server",
        port_session(3000, fixed=True),
        cwd="/work/web",
        start=START + timedelta(days=3),
    )
    write_session(
        projects,
        PORT_STUCK,
        "Start the server again",
        port_session(3000, fixed=False),
        cwd="/work/web",
        start=START + timedelta(days=4),
    )
    write_session(
        projects,
        DISTRACTOR,
        "Explain the helpers module and the scripts folder",
        [
            Call(
                "/work/app/helpers/__init__.py",
                "def fmt(x): return f'{x:.2f}'  # helpers module",
                tool="Read",
            ),
            Call("grep -rn 'import helpers' scripts", "scripts/report.py:3:from helpers import fmt"),
        ],
        start=START + timedelta(days=20),
    )
    database = home / "miner.duckdb"
    ingest(database, projects)
    return database


def put_items(database: Path, table: str, items: list[Any]) -> None:
    """Store mined items as the miner does (rows keyed by id and cluster key)."""
    with open_store(database) as store:
        for item in items:
            store.execute(f"DELETE FROM {table} WHERE id = ? OR cluster_key = ?", [item.id, item.cluster_key])
            store.execute(
                f"INSERT INTO {table} VALUES (?, ?, ?, now()::TIMESTAMP)",
                [item.id, item.cluster_key, item.model_dump_json()],
            )
