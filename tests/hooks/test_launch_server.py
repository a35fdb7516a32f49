"""The MCP server launcher that `.mcp.json` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from hooks.simulate import HOOKS_DIR, REPO, fake_python, hook_python, records

LAUNCHER = HOOKS_DIR / "launch_server.py"


def launch(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hook_python(), "-S", str(LAUNCHER), *args],
        input="",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_mcp_json_starts_the_miner_server_through_the_launcher() -> None:
    config = json.loads((REPO / ".mcp.json").read_text(encoding="utf-8"))

    assert config["mcpServers"]["miner"] == {
        "command": "python3",
        "args": ["-S", "${CLAUDE_PLUGIN_ROOT}/hooks/launch_server.py"],
    }


def test_without_an_environment_it_explains_on_stderr_and_fails(hook_env: dict[str, str]) -> None:
    finished = launch(hook_env)

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert "install.sh" in finished.stderr
    assert "TRAJECTORY_MINER_PYTHON" in finished.stderr


def test_a_setup_under_way_is_mentioned(hook_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "plugin-data"
    data.mkdir()
    (data / "setup.log").write_text("setting up\n", encoding="utf-8")
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)

    finished = launch(hook_env)

    assert finished.returncode == 1
    assert str(data / "setup.log") in finished.stderr


def test_it_replaces_itself_with_the_environments_server(hook_env: dict[str, str], tmp_path: Path) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))

    finished = launch(hook_env, "--extra")

    assert finished.returncode == 0
    [run] = records(record)
    assert run["argv"] == ["-I", "-m", "mcp_server", "--extra"]


@pytest.mark.skipif(not (REPO / "mcp_server" / "__main__.py").exists(), reason="no runnable mcp_server yet")
def test_a_real_client_lists_the_miners_tools_through_the_launcher(hook_env: dict[str, str]) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    hook_env["TRAJECTORY_MINER_PYTHON"] = sys.executable

    async def tool_names() -> set[str]:
        server = StdioServerParameters(command=hook_python(), args=["-S", str(LAUNCHER)], env=hook_env)
        async with Client(server) as client:
            listed = await client.list_tools()
            return {tool.name for tool in listed.tools}

    names = anyio.run(tool_names)

    assert {"find_replay_for_stuck_step", "list_skills", "get_skill", "search_sessions"} <= names
