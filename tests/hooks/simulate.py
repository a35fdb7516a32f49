"""Simulated Claude Code sessions: transcript lines as 2.1.330 writes them, and hook runs.

A turn is a prompt, one Bash call, its result (an error when asked), and a closing text —
the shapes of the reference's captured transcripts. Hooks run as Claude Code runs them:
`python3 -S <plugin>/hooks/<event>.py` with the payload on stdin.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HOOKS_DIR = REPO / "hooks"
SCRIPTS = {
    "SessionStart": "session_start.py",
    "Stop": "stop.py",
    "SubagentStop": "subagent_stop.py",
    "PreCompact": "pre_compact.py",
    "SessionEnd": "session_end.py",
}


@functools.cache
def hook_python() -> str:
    """The interpreter behind `python3` on the PATH, as hooks.json names it.

    Resolved once, so a version-manager shim in front of it is not timed on every run.
    """
    found = subprocess.run(
        ["python3", "-S", "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return found.stdout.strip()


def _stamp(turn: int, part: int) -> str:
    seconds = turn * 10 + part
    return f"2026-11-01T{10 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"


def turn_entries(session_id: str, cwd: str, turn: int, *, fail: bool = False) -> list[dict[str, Any]]:
    """The transcript entries of one turn, in file order."""
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": cwd,
        "sessionId": session_id,
        "version": "2.1.330",
        "gitBranch": "main",
    }
    prefix = f"{session_id}-{turn:04d}"
    tool_id = f"toolu_{prefix}"
    command = "false" if fail else f"echo turn {turn}"
    usage = {
        "input_tokens": 10,
        "output_tokens": 5,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    }
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id}
    if fail:
        result.update(content="Exit code 1", is_error=True)
        structured: Any = "Error: Exit code 1"
    else:
        result["content"] = f"turn {turn}"
        structured = {"stdout": f"turn {turn}", "stderr": "", "interrupted": False, "isImage": False}
    return [
        {
            **base,
            "type": "user",
            "message": {"role": "user", "content": f"Prompt number {turn}"},
            "uuid": f"{prefix}-prompt",
            "timestamp": _stamp(turn, 0),
        },
        {
            **base,
            "type": "assistant",
            "message": {
                "model": "claude-opus-4-5",
                "id": f"msg_{prefix}_a",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": command}}],
                "stop_reason": "tool_use",
                "usage": usage,
            },
            "requestId": f"req_{prefix}_a",
            "uuid": f"{prefix}-call",
            "timestamp": _stamp(turn, 1),
        },
        {
            **base,
            "type": "user",
            "message": {"role": "user", "content": [result]},
            "toolUseResult": structured,
            "uuid": f"{prefix}-result",
            "timestamp": _stamp(turn, 2),
        },
        {
            **base,
            "type": "assistant",
            "message": {
                "model": "claude-opus-4-5",
                "id": f"msg_{prefix}_b",
                "type": "message",
                "role": "assistant",
                "content": [{"type": "text", "text": f"Done with turn {turn}."}],
                "stop_reason": "end_turn",
                "usage": usage,
            },
            "requestId": f"req_{prefix}_b",
            "uuid": f"{prefix}-answer",
            "timestamp": _stamp(turn, 3),
        },
    ]


def append_turn(transcript: Path, session_id: str, cwd: str, turn: int, *, fail: bool = False) -> None:
    """Append one turn to a transcript, one write per line as Claude Code does."""
    transcript.parent.mkdir(parents=True, exist_ok=True)
    with transcript.open("ab") as handle:
        for entry in turn_entries(session_id, cwd, turn, fail=fail):
            handle.write(json.dumps(entry).encode("utf-8") + b"\n")
            handle.flush()


def payload(event: str, session_id: str, transcript: Path, cwd: str, **extra: Any) -> dict[str, Any]:
    """A hook payload shaped like the ones Claude Code 2.1.330 sends."""
    body: dict[str, Any] = {
        "session_id": session_id,
        "transcript_path": str(transcript),
        "cwd": cwd,
        "hook_event_name": event,
    }
    if event == "SessionStart":
        body["source"] = "startup"
    elif event in ("Stop", "SubagentStop"):
        body.update(stop_hook_active=False, last_assistant_message="Done.", background_tasks=[], session_crons=[])
    elif event == "PreCompact":
        body.update(trigger="manual", custom_instructions="")
    elif event == "SessionEnd":
        body.update(reason="other", prompt_id="p-1")
    body.update(extra)
    return body


def run_hook(
    event: str,
    stdin: bytes | dict[str, Any],
    env: dict[str, str] | None = None,
    hooks_dir: Path = HOOKS_DIR,
) -> subprocess.CompletedProcess[bytes]:
    """Run one hook script as Claude Code does and return the finished process."""
    data = stdin if isinstance(stdin, bytes) else json.dumps(stdin).encode("utf-8")
    return subprocess.run(
        [hook_python(), "-S", str(hooks_dir / SCRIPTS[event])],
        input=data,
        capture_output=True,
        env=dict(os.environ) if env is None else env,
        timeout=30,
        check=False,
    )


def spool_lines(home: Path) -> list[dict[str, Any]]:
    """Every line in the live spool and the rotated files, parsed."""
    folder = home / "spool"
    if not folder.is_dir():
        return []
    lines: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        lines.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return lines


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll until the condition holds or the time is up; True when it held."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
    return condition()


def ingester_python() -> str:
    """The interpreter that has the package installed: the one running the tests."""
    return sys.executable


def hook_module(name: str) -> ModuleType:
    """Import one of the plugin's hook modules (`_hookio`, `setup_env`) in this process."""
    if str(HOOKS_DIR) not in sys.path:
        sys.path.insert(0, str(HOOKS_DIR))
    return importlib.import_module(name)


def fake_python(folder: Path, record: Path) -> Path:
    """An executable standing in for the environment's interpreter.

    Each run appends one JSON line to `record`: its arguments, `$FAKE_TAG`, where its
    standard streams point, and whether it leads its own session.
    """
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "python"
    script.write_text(
        f"""#!{sys.executable} -S
import json, os, sys
streams = [os.path.realpath(f"/proc/self/fd/{{fd}}") for fd in (0, 1, 2)]
line = {{"argv": sys.argv[1:], "tag": os.environ.get("FAKE_TAG"), "streams": streams,
        "own_session": os.getsid(0) == os.getpid()}}
with open({str(record)!r}, "a", encoding="utf-8") as handle:
    handle.write(json.dumps(line) + "\\n")
""",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def records(record: Path) -> list[dict[str, Any]]:
    """The runs a fake interpreter recorded so far."""
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line]
