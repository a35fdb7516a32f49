"""The `miner` server as Claude Code runs it: a process speaking MCP over stdio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from retrieval.builders import FIXED_SESSIONS, module_error

from mcp_server import TOOL_NAMES
from trajectory_miner.paths import Paths

FIND = "find_replay_for_stuck_step"


def server_env(paths: Paths) -> dict[str, str]:
    return {"TRAJECTORY_MINER_HOME": str(paths.home), "PATH": os.environ.get("PATH", "")}


def over_stdio(paths: Paths, args: list[str], calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    async def main() -> tuple[list[str], list[Any]]:
        parameters = StdioServerParameters(command=sys.executable, args=args, env=server_env(paths))
        async with Client(parameters) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            results = [await client.call_tool(name, arguments) for name, arguments in calls]
            return names, results

    return anyio.run(main)


@pytest.mark.parametrize("args", [["-m", "mcp_server"], ["-m", "trajectory_miner", "serve"]])
def test_a_stdio_client_lists_the_tools_and_gets_the_planted_fix(planted_home: Paths, args: list[str]) -> None:
    names, (result,) = over_stdio(
        planted_home, args, [(FIND, {"stuck_description": "cannot import helpers", "error_text": module_error("x")})]
    )
    assert set(names) == set(TOOL_NAMES)
    assert not result.is_error
    assert result.structured_content["hits"][0]["session_ids"][0] in FIXED_SESSIONS


def test_ten_megabytes_over_stdio_is_an_error_and_the_process_answers_the_next_call(planted_home: Paths) -> None:
    _, (huge, control, fine) = over_stdio(
        planted_home,
        ["-m", "mcp_server"],
        [
            (FIND, {"stuck_description": "y" * 10_000_000}),
            ("search_sessions", {"query": "\x00\x01\x02"}),
            ("search_sessions", {"query": "helpers"}),
        ],
    )
    assert huge.is_error and "the limit is 20,000" in huge.content[0].text
    assert control.is_error and "query is empty" in control.content[0].text
    assert not fine.is_error and fine.structured_content["sessions"]


inspector = pytest.mark.skipif(shutil.which("mcp-inspector") is None, reason="mcp-inspector is not installed")


def inspect(paths: Paths, *method: str) -> dict[str, Any]:
    done = subprocess.run(
        ["mcp-inspector", "--cli", sys.executable, "-m", "mcp_server", *method],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **server_env(paths)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@inspector
def test_the_inspector_cli_lists_the_tools(planted_home: Paths) -> None:
    listed = inspect(planted_home, "--method", "tools/list")
    assert {tool["name"] for tool in listed["tools"]} == set(TOOL_NAMES)


@inspector
def test_the_inspector_cli_calls_a_tool_and_sees_errors_as_results(planted_home: Paths) -> None:
    found = inspect(
        planted_home, "--method", "tools/call", "--tool-name", "search_sessions", "--tool-arg", "query=helpers"
    )
    assert found.get("isError") in (None, False)
    assert found["structuredContent"]["sessions"]
    missing = inspect(planted_home, "--method", "tools/call", "--tool-name", "get_skill", "--tool-arg", "skill_id=S-1")
    assert missing["isError"] is True
    assert "no skill 'S-1'" in missing["content"][0]["text"]
