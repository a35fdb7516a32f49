"""Every tool the `miner` server lists, given wrong types, unknown ids and 10 MB strings.

The bad calls are derived from each tool's own input schema, so a tool added later is covered
too (it needs only a line of good arguments below). Each must come back as an error result,
and the server must answer a good call right after it.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client
from retrieval.builders import FIXED_SESSIONS, planted_store, put_items

from mcp_server.server import build_server
from trajectory_miner.mining.items import Skill
from trajectory_miner.paths import Paths, resolve

BIG = "x" * 10_000_000
UNKNOWN_SESSION = "0000dead-beef-4bad-8bad-000000000000"
GOOD: dict[str, dict[str, Any]] = {
    "find_replay_for_stuck_step": {"stuck_description": "the export script cannot import helpers"},
    "list_skills": {},
    "get_skill": {"skill_id": "S-001"},
    "search_sessions": {"query": "export helpers"},
    "get_session": {"session_id": FIXED_SESSIONS[0]},
    "list_patterns": {},
    "record_feedback": {"target_id": FIXED_SESSIONS[0], "verdict": "helpful"},
    "review_skill": {"skill_id": "S-001", "decision": "retire", "user_said": "yes, retire S-001"},
}
UNKNOWN_IDS: list[tuple[str, dict[str, Any]]] = [
    ("get_skill", {"skill_id": "S-999"}),
    ("get_skill", {"skill_id": "../../etc/passwd"}),
    ("get_session", {"session_id": UNKNOWN_SESSION}),
    ("get_session", {"session_id": "\x1b[2J\x07"}),
    ("record_feedback", {"target_id": UNKNOWN_SESSION, "verdict": "helpful"}),
    ("record_feedback", {"target_id": "R-404", "verdict": "harmful"}),
    ("review_skill", {"skill_id": "S-999", "decision": "approve", "user_said": "yes"}),
    ("review_skill", {"skill_id": "S-001", "decision": "approve", "user_said": ""}),
    ("review_skill", {"skill_id": "S-001", "decision": "approve", "user_said": "yes"}),  # approved already
]


def _types(schema: dict[str, Any]) -> set[str]:
    if "type" in schema:
        kind = schema["type"]
        return set(kind) if isinstance(kind, list) else {kind}
    return {t for option in schema.get("anyOf", []) for t in _types(option)}


def wrong_values(schema: dict[str, Any]) -> list[Any]:
    """Values of the wrong type for a property, and a 10 MB string where text is allowed."""
    kinds = _types(schema)
    wrong: list[Any] = []
    if "string" in kinds:
        wrong += [12345, BIG]
        if "enum" in schema or any("enum" in option for option in schema.get("anyOf", [])):
            wrong.append("not-one-of-the-choices")
    if "integer" in kinds or "number" in kinds:
        wrong += ["many", [1]]
    if "array" in kinds:
        wrong += ["not-a-list", [12345], [BIG]]
    if "boolean" in kinds:
        wrong.append({"no": "dict"})
    return wrong


def bad_calls(tool: Any) -> list[tuple[str, dict[str, Any]]]:
    """Each property of the tool made wrong in turn, the others good; and the required ones left out."""
    base = GOOD[tool.name]
    calls: list[tuple[str, dict[str, Any]]] = []
    for name, schema in tool.input_schema.get("properties", {}).items():
        calls += [(tool.name, {**base, name: value}) for value in wrong_values(schema)]
    if tool.input_schema.get("required"):
        calls.append((tool.name, {}))
    return calls


@pytest.fixture
def planted_home(isolated_home: Any) -> Paths:
    paths = resolve()
    database = planted_store(paths.home)
    skill = Skill(
        id="S-001",
        cluster_key="fix:module-error",
        name="fix-module-error",
        description="Run a script as a module when it cannot import its package.",
        trigger="ModuleNotFoundError: No module named 'helpers'",
        steps=["Run `python -m scripts.report`"],
        source_sessions=list(FIXED_SESSIONS),
        support=2,
        status="approved",
    )
    put_items(database, "skills", [skill])
    return paths


def test_every_tool_answers_bad_input_with_an_error_and_the_server_keeps_answering(planted_home: Paths) -> None:
    async def work(client: Client) -> tuple[list[str], list[str], int]:
        tools = (await client.list_tools()).tools
        missing = sorted(t.name for t in tools if t.name not in GOOD)
        calls = [call for tool in tools if tool.name in GOOD for call in bad_calls(tool)] + UNKNOWN_IDS
        failures: list[str] = []
        for name, arguments in calls:
            result = await client.call_tool(name, arguments)
            shown = {
                k: (f"<{len(v):,} chars>" if isinstance(v, str) and len(v) > 100 else v) for k, v in arguments.items()
            }
            if not result.is_error:
                failures.append(f"{name} {shown}: not an error")
            elif len(result.content[0].text) > 2000:
                failures.append(f"{name} {shown}: an error of {len(result.content[0].text):,} characters")
            after = await client.call_tool("list_patterns", {})
            if after.is_error:
                failures.append(f"{name} {shown}: the next good call failed: {after.content[0].text[:200]}")
        for name, arguments in GOOD.items():
            if name != "record_feedback" and (await client.call_tool(name, arguments)).is_error:
                failures.append(f"{name}: the good call failed after all the bad ones")
        return missing, failures, len(calls)

    async def main() -> tuple[list[str], list[str], int]:
        async with Client(build_server(planted_home, wait_seconds=0.1, first_wait_seconds=0.1)) as client:
            return await work(client)

    missing, failures, count = anyio.run(main)

    assert missing == []
    assert count > 40
    assert failures == []
