"""The MCP server launcher that `.mcp.json` runs: it answers at once and serves from the environment."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from hooks.simulate import HOOKS_DIR, REPO, fake_python, hook_module, hook_python, records, wait_until

LAUNCHER = HOOKS_DIR / "launch_server.py"
HANDSHAKE = json.loads((REPO / "mcp_server" / "handshake.json").read_text(encoding="utf-8"))


def hello(version: str = "2025-06-18") -> dict[str, Any]:
    client = {"name": "test", "version": "1"}
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": client}
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}


def call(ident: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}


class Session:
    """The launcher in a subprocess, spoken to one JSON line at a time."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [hook_python(), "-S", str(LAUNCHER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        self.tell(message)
        return self.answer(message["id"])

    def tell(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def answer(self, ident: object) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            assert line, "the launcher ended without answering"
            message: dict[str, Any] = json.loads(line)
            if message.get("id") == ident and "method" not in message:
                return message

    def close(self) -> int:
        self.process.communicate(timeout=60)
        return self.process.returncode


def test_mcp_json_starts_the_miner_server_through_the_launcher() -> None:
    config = json.loads((REPO / ".mcp.json").read_text(encoding="utf-8"))

    assert config["mcpServers"]["miner"] == {
        "command": "python3",
        "args": ["-S", "${CLAUDE_PLUGIN_ROOT}/hooks/launch_server.py"],
    }


def test_without_an_environment_it_still_starts_and_each_call_says_what_to_do(hook_env: dict[str, str]) -> None:
    session = Session(hook_env)

    init = session.ask(hello())
    listed = session.ask({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    called = session.ask(call(3, "list_patterns", {}))

    assert init["result"] == HANDSHAKE["versions"]["2025-06-18"]["initialize"]
    assert listed["result"]["tools"] == HANDSHAKE["versions"]["2025-06-18"]["tools"]
    assert called["result"]["isError"] is True
    assert "install.sh" in called["result"]["content"][0]["text"]
    assert session.close() == 0


def test_a_setup_under_way_is_said_with_the_time_it_has_left(hook_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "plugin-data"
    data.mkdir()
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)
    with (data / "setup.lock").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        session = Session(hook_env)
        session.ask(hello())
        session.tell({"jsonrpc": "2.0", "method": "notifications/initialized"})
        called = session.ask(call(2, "find_replay_for_stuck_step", {"stuck_description": "pip fails"}))
        assert session.close() == 0

    text = called["result"]["content"][0]["text"]
    assert called["result"]["isError"] is True
    assert "setting up" in text and "s left" in text
    assert str(data / "setup.log") in text


def test_a_short_session_never_starts_the_environments_server(hook_env: dict[str, str], tmp_path: Path) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))
    session = Session(hook_env)

    probe = session.ask({"jsonrpc": "2.0", "id": "probe", "method": "server/discover", "params": {}})
    session.ask(hello())
    lists = [
        session.ask({"jsonrpc": "2.0", "id": number, "method": method})
        for number, method in enumerate(("tools/list", "prompts/list", "resources/list"), start=2)
    ]
    assert session.close() == 0

    # The stateless protocol's probe is declined, so the client falls back to the recorded handshake.
    assert probe["error"]["code"] == -32601
    assert [answer["result"] for answer in lists[1:]] == [{"prompts": []}, {"resources": []}]
    assert records(record) == []


def test_the_environments_server_is_started_soon_after_the_handshake(hook_env: dict[str, str], tmp_path: Path) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))
    session = Session(hook_env)

    session.ask(hello())
    started = wait_until(lambda: bool(records(record)), timeout=30)
    assert session.close() == 0

    assert started
    assert [run["argv"] for run in records(record)] == [["-I", "-m", "mcp_server"]]


def test_an_unknown_protocol_version_gets_the_answers_for_the_one_offered_instead() -> None:
    launcher = hook_module("launch_server")

    answers = launcher.recorded(HANDSHAKE, {"protocolVersion": "1999-01-01"})
    missing = launcher.recorded({}, {"protocolVersion": "2025-06-18"})

    assert answers == HANDSHAKE["versions"][HANDSHAKE["fallback"]]
    assert missing["initialize"]["protocolVersion"] == "2025-06-18"
    assert "tools" not in missing


def test_a_server_that_dies_is_answered_for_and_started_again(hook_env: dict[str, str], tmp_path: Path) -> None:
    dying = tmp_path / "env" / "python"
    dying.parent.mkdir()
    runs = tmp_path / "runs"
    dying.write_text(f"#!/bin/sh\necho run >> {runs}\nexit 3\n", encoding="utf-8")
    dying.chmod(0o755)
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(dying)
    session = Session(hook_env)

    session.ask(hello())
    first = session.ask(call(2, "list_skills", {}))
    second = session.ask(call(3, "list_skills", {}))
    assert session.close() == 0

    assert "the miner server stopped" in first["error"]["message"]
    assert (
        "the miner server stopped" in second["error"]["message"] if "error" in second else second["result"]["isError"]
    )
    assert len(runs.read_text(encoding="utf-8").splitlines()) >= 2


@pytest.mark.skipif(not (REPO / "mcp_server" / "__main__.py").exists(), reason="no runnable mcp_server yet")
def test_a_real_client_is_served_by_the_environments_server_through_the_launcher(hook_env: dict[str, str]) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    hook_env["TRAJECTORY_MINER_PYTHON"] = sys.executable

    async def session() -> tuple[set[str], str]:
        server = StdioServerParameters(command=hook_python(), args=["-S", str(LAUNCHER)], env=hook_env)
        async with Client(server) as client:
            listed = await client.list_tools()
            answer = await client.call_tool("list_patterns", {})
            text = answer.content[0].text if answer.content and hasattr(answer.content[0], "text") else ""
            return {tool.name for tool in listed.tools}, str(answer.structured_content or text)

    names, answer = anyio.run(session)

    assert {"find_replay_for_stuck_step", "list_skills", "get_skill", "search_sessions"} <= names
    assert answer  # the environment's server answered the call
