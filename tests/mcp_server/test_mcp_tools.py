"""The `miner` tools through an in-memory MCP client: answers, budgets, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from mcp import Client
from retrieval.builders import FIXED_SESSIONS, module_error

from mcp_server import TOOL_NAMES, build_server
from mcp_server import tools as tools_module
from trajectory_miner.paths import Paths
from trajectory_miner.retrieval.text import estimate_tokens
from trajectory_miner.store import open_store

FIND = "find_replay_for_stuck_step"
STUCK = {
    "stuck_description": "the export script cannot import helpers",
    "error_text": module_error("export_9"),
    "recent_commands": ["python scripts/export_9.py"],
}


def with_client(paths: Paths, work: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(build_server(paths, wait_seconds=0.1, first_wait_seconds=0.1)) as client:
            return await work(client)

    return anyio.run(main)


def call(paths: Paths, tool: str, arguments: dict[str, Any]) -> Any:
    return with_client(paths, lambda client: client.call_tool(tool, arguments))


def test_the_server_lists_its_tools_with_schemas_and_tells_when_to_call_them(planted_home: Paths) -> None:
    async def work(client: Client) -> Any:
        return await client.list_tools(), client.server_info.name, client.instructions

    tools, name, instructions = with_client(planted_home, work)
    by_name = {tool.name: tool for tool in tools.tools}
    assert set(by_name) == set(TOOL_NAMES)
    assert all(tool.output_schema for tool in tools.tools)
    assert by_name[FIND].input_schema["required"] == ["stuck_description"]
    assert by_name["get_session"].input_schema["properties"]["detail"]["enum"] == ["brief", "steps", "full"]
    assert name == "miner"
    assert "second time" in instructions and FIND in instructions


def test_a_stuck_step_gets_the_planted_fix_as_structured_content_and_compact_text(planted_home: Paths) -> None:
    result = call(planted_home, FIND, STUCK)
    assert not result.is_error
    top = result.structured_content["hits"][0]
    assert top["session_ids"][0] in FIXED_SESSIONS
    assert any("python -m scripts." in step for step in top["worked_next"])
    assert json.loads(result.content[0].text) == result.structured_content
    assert "\n" not in result.content[0].text


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        (FIND, {"stuck_description": 42}, "stuck_description should be a valid string (got 42)"),
        (FIND, {"stuck_description": "x", "k": "many"}, "k should be a valid integer"),
        (FIND, {"stuck_description": "x", "k": 99}, "k should be less than or equal to 10 (got 99)"),
        (FIND, {}, "stuck_description is required"),
        (FIND, {"stuck_description": "x" * 10_000_000}, "stuck_description is 10,000,000 characters"),
        (FIND, {"stuck_description": "\x00\x07\x1b"}, "stuck_description is empty"),
        (FIND, {"stuck_description": "x", "recent_commands": ["ls"] * 51}, "recent_commands has 51 items"),
        ("get_skill", {"skill_id": "S-999"}, "no skill 'S-999'"),
        ("get_session", {"session_id": "no-such-session"}, "no session matches 'no-such-session'"),
        (
            "get_session",
            {"session_id": FIXED_SESSIONS[0], "detail": "all"},
            "detail should be 'brief', 'steps' or 'full'",
        ),
        ("search_sessions", {"query": "x", "outcome": "won"}, "outcome should be 'success', 'partial'"),
        ("search_sessions", {"query": "x", "limit": 0}, "limit should be greater than or equal to 1"),
        ("list_patterns", {"min_severity": "dire"}, "min_severity should be 'low', 'medium'"),
        ("list_skills", {"max_tokens": 10}, "max_tokens should be greater than or equal to 200"),
        ("record_feedback", {"target_id": "R-404", "verdict": "helpful"}, "no replay 'R-404'"),
        (
            "record_feedback",
            {"target_id": FIXED_SESSIONS[0], "verdict": "meh"},
            "verdict should be 'good', 'bad', 'helpful' or 'harmful'",
        ),
        (
            "record_feedback",
            {"target_id": FIXED_SESSIONS[0], "verdict": "helpful", "note": "n" * 3000},
            "note is 3,000 characters",
        ),
    ],
)
def test_bad_input_is_an_error_result_that_says_what_was_wrong(
    planted_home: Paths, tool: str, arguments: dict[str, Any], message: str
) -> None:
    result = call(planted_home, tool, arguments)
    assert result.is_error
    assert message in result.content[0].text
    # One sentence: no pydantic report with its lines and links.
    assert "\n" not in result.content[0].text and "pydantic" not in result.content[0].text


def test_every_parameter_is_described_and_bounds_and_choices_are_in_the_schema(planted_home: Paths) -> None:
    async def work(client: Client) -> Any:
        return await client.list_tools()

    tools = {tool.name: tool for tool in with_client(planted_home, work).tools}
    undescribed = [
        f"{name}.{field}"
        for name, tool in tools.items()
        for field, schema in tool.input_schema["properties"].items()
        if not schema.get("description")
    ]
    assert undescribed == []
    find = tools[FIND].input_schema["properties"]
    assert (find["k"]["minimum"], find["k"]["maximum"]) == (1, 10)
    assert find["max_tokens"]["maximum"] > find["max_tokens"]["minimum"] > 0

    def choices(tool: str, field: str) -> set[str]:
        schema = tools[tool].input_schema["properties"][field]
        options = [schema, *schema.get("anyOf", [])]
        return {value for option in options for value in option.get("enum", [])}

    assert choices("search_sessions", "outcome") == {"success", "partial", "failure", "unknown"}
    assert choices("list_skills", "status") >= {"candidate", "approved", "retired"}
    assert choices("list_patterns", "min_severity") == {"low", "medium", "high", "critical"}
    assert all(tool.title and tool.annotations and tool.annotations.title for tool in tools.values())
    reading = {name for name, tool in tools.items() if tool.annotations and tool.annotations.read_only_hint}
    idempotent = {name for name, tool in tools.items() if tool.annotations and tool.annotations.idempotent_hint}
    assert idempotent == reading and "record_feedback" not in idempotent


def test_the_server_keeps_answering_after_errors_and_unexpected_failures(
    planted_home: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ranking exploded")

    async def work(client: Client) -> list[Any]:
        results = [await client.call_tool(FIND, {"stuck_description": "x" * 30_000})]
        with monkeypatch.context() as patch:
            patch.setattr(tools_module, "find_replays", explode)
            results.append(await client.call_tool(FIND, STUCK))
        results.append(await client.call_tool(FIND, STUCK))
        return results

    too_big, exploded, fine = with_client(planted_home, work)
    assert too_big.is_error and exploded.is_error
    assert "internal error (RuntimeError): ranking exploded" in exploded.content[0].text
    assert not fine.is_error and fine.structured_content["hits"]


def test_a_missing_or_empty_store_gives_empty_answers_that_say_the_history_is_empty(paths: Paths) -> None:
    missing = call(paths, FIND, STUCK)
    paths.home.mkdir(parents=True, exist_ok=True)
    with open_store(paths.database):
        pass
    answers = {tool: call(paths, tool, arguments) for tool, arguments in LISTING_CALLS.items()}

    for result in (missing, *answers.values()):
        assert not result.is_error, result.content[0].text
        assert "history is empty" in result.structured_content["note"]
    assert missing.structured_content["hits"] == []
    assert answers["search_sessions"].structured_content["sessions"] == []
    lookup = call(paths, "get_skill", {"skill_id": "S-1"})
    assert lookup.is_error and "history is empty" in lookup.content[0].text


LISTING_CALLS: dict[str, dict[str, Any]] = {
    "list_skills": {},
    "search_sessions": {"query": "pytest"},
    "list_patterns": {},
    FIND: STUCK,
}


def test_a_store_locked_by_the_ingester_before_any_read_is_a_busy_error(planted_home: Paths) -> None:
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"
    with subprocess.Popen(
        [sys.executable, "-c", hold, str(planted_home.database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == b"held"
        result = call(planted_home, FIND, STUCK)
        holder.stdin.close()
        holder.wait(timeout=30)
    assert result.is_error
    assert "busy" in result.content[0].text and "try again" in result.content[0].text


def test_feedback_recorded_through_the_server_shows_in_the_next_ranking(planted_home: Paths) -> None:
    async def work(client: Client) -> tuple[Any, Any]:
        first = await client.call_tool(FIND, STUCK)
        hit = first.structured_content["hits"][0]["id"]
        receipt = await client.call_tool("record_feedback", {"target_id": hit, "verdict": "good"})
        return receipt, await client.call_tool(FIND, STUCK)

    receipt, again = with_client(planted_home, work)
    assert receipt.structured_content["target_kind"] == "session"
    assert receipt.structured_content["verdict"] == "good"
    assert "marked good 1×" in again.structured_content["hits"][0]["reasons"]


def test_answers_stay_within_the_token_budget_asked_and_the_maximum(planted_home: Paths) -> None:
    for max_tokens, limit in ((250, 250), (10**6, 4000)):
        result = call(planted_home, FIND, {**STUCK, "k": 10, "max_tokens": max_tokens})
        assert estimate_tokens(result.content[0].text) <= limit
    small = call(planted_home, "get_session", {"session_id": FIXED_SESSIONS[0], "detail": "full", "max_tokens": 200})
    assert estimate_tokens(small.content[0].text) <= 200


def test_the_hint_file_follows_the_index_unless_live_hints_are_off(planted_home: Paths) -> None:
    hints = planted_home.home / "hints.json"
    assert not call(planted_home, "search_sessions", {"query": "helpers"}).is_error
    table = json.loads(hints.read_text(encoding="utf-8"))["hints"]
    assert "python -m scripts." in table["ModuleNotFoundError: No module named 'helpers'"]["fix"]
    hints.unlink()
    planted_home.config_file.write_text("live_hints = false\n", encoding="utf-8")
    assert not call(planted_home, "search_sessions", {"query": "helpers"}).is_error
    assert not hints.exists()


def test_sessions_skills_and_patterns_are_listed_through_the_server(planted_home: Paths) -> None:
    found = call(planted_home, "search_sessions", {"query": "helpers module", "limit": 3})
    assert len(found.structured_content["sessions"]) == 3
    detail = call(planted_home, "get_session", {"session_id": FIXED_SESSIONS[0], "detail": "steps"})
    assert [s["step"] for s in detail.structured_content["step_lines"]] == [0, 1]
    assert "run /mine" in call(planted_home, "list_skills", {"query": "modules"}).structured_content["note"]


def test_the_database_is_free_between_calls_and_writes_made_meanwhile_show_up(planted_home: Paths) -> None:
    async def work(client: Client) -> Any:
        await client.call_tool(FIND, STUCK)
        # A writer that will not wait at all still gets the lock: the server holds nothing.
        with open_store(planted_home.database, wait_seconds=0.0) as store:
            for target in FIXED_SESSIONS:
                store.execute(
                    "INSERT INTO feedback VALUES (?, ?, 'session', 'good', '', now()::TIMESTAMP)",
                    [f"F-{target}", target],
                )
        return await client.call_tool(FIND, STUCK)

    again = with_client(planted_home, work)
    assert "marked good 1×" in again.structured_content["hits"][0]["reasons"]
