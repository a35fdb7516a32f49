"""The SDK-free stdio front answers every message as the SDK's server does, and imports neither the SDK nor DuckDB."""

from __future__ import annotations

import gzip
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp.server.mcpserver.utilities.func_metadata import func_metadata

from mcp_server.stdio import arguments_model, read_json_text
from mcp_server.tools import TOOL_NAMES, Tools
from trajectory_miner.retrieval.saved import current_index
from trajectory_miner.store import open_store

RELEASE_STORE = Path(__file__).parents[1] / "fixtures" / "release_store" / "miner.duckdb.gz"
FIND = "find_replay_for_stuck_step"

# Calls that succeed, fail validation in each way, fail inside the tool, or name no tool.
CALLS: list[tuple[str, Any]] = [
    (FIND, {"stuck_description": "tests fail", "error_text": "KeyError: 'DATABASE_URL'"}),
    (FIND, {"stuck_description": "pytest cannot find the module", "recent_commands": '["pytest -q"]'}),
    (FIND, {"stuck_description": "x", "k": 0}),
    (FIND, {"stuck_description": "pytest fails", "k": "2"}),
    (FIND, {}),
    (FIND, {"stuck_description": 5, "unknown": 1}),
    (FIND, {"stuck_description": "tests fail", "error_text": "null"}),
    (FIND, {"stuck_description": "tests fail", "files": "a.py"}),
    (FIND, {"stuck_description": "\x00\x01"}),
    (FIND, {"stuck_description": "y" * 20_001}),
    ("list_skills", {}),
    ("list_skills", {"status": "bogus"}),
    ("list_skills", {"query": "database url", "max_tokens": 200}),
    ("get_skill", {"skill_id": "S-001"}),
    ("get_skill", {"skill_id": "S-999"}),
    ("search_sessions", {"query": "pytest", "limit": 3}),
    ("search_sessions", {"query": "pytest", "outcome": "failure", "limit": "x"}),
    ("get_session", {"session_id": "nope"}),
    ("list_patterns", {"min_severity": "high"}),
    ("record_feedback", {"target_id": "S-999", "verdict": "maybe"}),
    ("no_such_tool", {}),
    ("list_skills", None),
    ("list_skills", [1]),
]


def _messages(version: str) -> list[dict[str, Any]]:
    hello = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}
    lines: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "ping", "method": "ping"},
        {"jsonrpc": "2.0", "id": "tools", "method": "tools/list"},
        {"jsonrpc": "2.0", "id": "prompts", "method": "prompts/list"},
        {"jsonrpc": "2.0", "id": "unknown", "method": "no/such/method"},
        {"jsonrpc": "2.0", "id": "no-params", "method": "tools/call"},
        {"jsonrpc": "2.0", "id": "no-name", "method": "tools/call", "params": {"arguments": {}}},
    ]
    for number, (name, arguments) in enumerate(CALLS, 1):
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = arguments
        lines.append({"jsonrpc": "2.0", "id": number, "method": "tools/call", "params": params})
    return lines


def _answers(module: str, home: Path, lines: list[dict[str, Any]], extra: str = "") -> dict[str, Any]:
    """Each answer by id, from `python -m <module>` given the lines; stdin stays open until all came."""
    wanted = sum(1 for line in lines if "id" in line)
    answers: dict[str, Any] = {}
    with subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TRAJECTORY_MINER_HOME": str(home)},
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(("".join(json.dumps(line) + "\n" for line in lines) + extra).encode())
        server.stdin.flush()
        deadline = time.monotonic() + 120
        while len(answers) < wanted and time.monotonic() < deadline:
            if not select.select([server.stdout], [], [], 1)[0]:
                continue
            line = server.stdout.readline()
            if not line:
                break
            message = json.loads(line)
            answers[str(message.get("id"))] = message
        server.stdin.close()
    return answers


@pytest.fixture(scope="module")
def release_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("release-home")
    with gzip.open(RELEASE_STORE, "rb") as packed, (home / "miner.duckdb").open("wb") as raw:
        raw.write(packed.read())
    # Upgraded and its index saved once, so that both fronts start from the same settled store
    # and neither finds it busy with the other's upgrade.
    with open_store(home / "miner.duckdb") as store:
        current_index(store)
    return home


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2025-11-25", "2024-11-05", "1999-01-01"])
def test_both_fronts_answer_every_message_alike(release_home: Path, version: str) -> None:
    lines = _messages(version)
    # Lines that are not messages get no answer from either front.
    junk = 'not json\n[]\n{"jsonrpc": "2.0", "id": 99}\n'

    sdk = _answers("mcp_server.server", release_home, lines, junk)
    fast = _answers("mcp_server", release_home, lines, junk)

    assert len(sdk) == sum(1 for line in lines if "id" in line)
    assert fast == sdk
    assert not fast["1"]["result"]["isError"] and fast["1"]["result"]["structuredContent"]["hits"]
    assert fast["3"]["result"]["isError"]


def test_a_call_under_way_when_input_ends_is_still_answered(release_home: Path) -> None:
    lines = _messages("2025-11-25")[:1] + [
        {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "list_skills", "arguments": {}}}
    ]
    server = subprocess.run(
        [sys.executable, "-m", "mcp_server"],
        input="".join(json.dumps(line) + "\n" for line in lines).encode(),
        capture_output=True,
        env={**os.environ, "TRAJECTORY_MINER_HOME": str(release_home)},
        timeout=120,
        check=True,
    )
    answers = {message["id"]: message for message in map(json.loads, server.stdout.splitlines())}

    assert answers[7]["result"]["structuredContent"]["skills"]


def test_serving_loads_neither_the_sdk_nor_duckdb() -> None:
    probe = (
        "import sys, mcp_server.stdio\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'mcp', 'mcp_types', 'duckdb'})\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout

    assert out.strip() == ""


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(TOOL_NAMES),
    values=st.dictionaries(
        st.sampled_from(["stuck_description", "error_text", "recent_commands", "files", "k", "query", "status", "x"]),
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(['["a", "b"]', "null", "3", '"quoted"', "{", '{"a": 1}', "1e400", "[[[]]]"]),
            st.integers(),
            st.none(),
        ),
        max_size=4,
    ),
)
def test_json_text_is_read_as_the_sdk_reads_it(name: str, values: dict[str, Any]) -> None:
    fn = getattr(Tools.__new__(Tools), name)
    ours = arguments_model(name, fn)
    sdk = func_metadata(fn)

    assert read_json_text(ours, values) == sdk.pre_parse_json(values)
