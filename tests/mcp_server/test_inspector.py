"""The MCP Inspector CLI, speaking to the server as Claude Code starts it (through the launcher)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_server import TOOL_NAMES

REPO = Path(__file__).resolve().parents[2]
INSPECTOR = shutil.which("mcp-inspector")

pytestmark = [pytest.mark.slow, pytest.mark.skipif(INSPECTOR is None, reason="mcp-inspector is not installed")]


def inspect(home: Path, *args: str) -> dict[str, Any]:
    assert INSPECTOR is not None
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "TRAJECTORY_MINER_HOME": str(home)}
    env["TRAJECTORY_MINER_PYTHON"] = sys.executable
    server = [shutil.which("python3") or "python3", "-S", str(REPO / "hooks" / "launch_server.py")]
    finished = subprocess.run(
        [INSPECTOR, "--cli", *server, *args], capture_output=True, text=True, env=env, timeout=180, check=False
    )
    assert finished.returncode == 0, finished.stderr
    answer: dict[str, Any] = json.loads(finished.stdout)
    return answer


def test_the_inspector_lists_every_tool_with_every_parameter_described(tmp_path: Path) -> None:
    listed = inspect(tmp_path / "home", "--method", "tools/list")

    tools = {tool["name"]: tool for tool in listed["tools"]}
    assert set(tools) == set(TOOL_NAMES)
    for name, tool in tools.items():
        properties = tool["inputSchema"]["properties"]
        assert properties, name
        assert all(field.get("description") for field in properties.values()), name
        assert tool["title"] and tool["annotations"]["title"]


def test_through_the_inspector_an_empty_history_and_a_wrong_argument_get_one_clear_answer(tmp_path: Path) -> None:
    empty = inspect(tmp_path / "home", "--method", "tools/call", "--tool-name", "list_patterns")
    wrong = inspect(
        tmp_path / "home",
        *("--method", "tools/call", "--tool-name", "get_session"),
        *("--tool-arg", "session_id=x", "--tool-arg", "detail=everything"),
    )

    assert empty["isError"] is False and "history is empty" in empty["structuredContent"]["note"]
    assert wrong["isError"] is True
    [message] = [block["text"] for block in wrong["content"]]
    assert "detail should be 'brief', 'steps' or 'full'" in message and message.count(". ") == 0
