"""The `miner` MCP server through the MCP SDK: the tools of `mcp_server.tools`, served as the SDK serves.

This is the reference front: its answers to the handshake are recorded in `handshake.json`
(`python -m mcp_server.handshake`), tests drive it in memory, and `mcp_server.stdio`, which
serves the same tools without importing the SDK, is held to give the same answers.
Results are structured (an output schema per tool) and their text is compact JSON within
the budget.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, ParamSpec

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from mcp_server.tasks import serving
from mcp_server.tools import (
    INSTRUCTIONS,
    TITLES,
    TOOL_NAMES,
    WRITING,
    ToolFailure,
    invalid_arguments,
    live_tools,
    run_tool,
)
from trajectory_miner import __version__
from trajectory_miner.paths import Paths

P = ParamSpec("P")


class MinerServer(MCPServer):
    """The SDK's server, with arguments that fail the schema answered in one sentence."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        """Call the tool; a schema failure becomes a tool error that names the field and what it takes."""
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(invalid_arguments(name, exc.__cause__)) from exc.__cause__
            raise


def structured(answer: BaseModel) -> CallToolResult:
    """The answer as structured content, with compact JSON as its text."""
    return CallToolResult(
        content=[TextContent(type="text", text=answer.model_dump_json())],
        structured_content=answer.model_dump(mode="json"),
    )


def guarded(fn: Callable[P, BaseModel]) -> Callable[P, CallToolResult]:
    """Turn every failure of a tool into a tool error whose message says what was wrong."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> CallToolResult:
        del args  # the SDK passes arguments by name
        try:
            return structured(run_tool(fn, kwargs))
        except ToolFailure as exc:
            raise ToolError(str(exc)) from None

    return run


def build_server(
    paths: Paths | None = None,
    *,
    wait_seconds: float = 0.5,
    first_wait_seconds: float = 3.0,
    warm: bool = False,
) -> MCPServer:
    """The server over the data home in `paths` (default: the one the environment names); see `live_tools`."""
    tools = live_tools(paths, wait_seconds=wait_seconds, first_wait_seconds=first_wait_seconds)

    @asynccontextmanager
    async def lifespan(server: MCPServer) -> AsyncIterator[dict[str, Any]]:
        del server
        async with serving(tools.live, warm=warm):
            yield {}

    server = MinerServer("miner", instructions=INSTRUCTIONS, version=__version__, lifespan=lifespan)
    for name in TOOL_NAMES:
        # Reading twice gives the same answer; each feedback or review is recorded once more.
        reads = name not in WRITING
        annotations = ToolAnnotations(
            title=TITLES[name],
            read_only_hint=reads,
            destructive_hint=False,
            idempotent_hint=reads,
            open_world_hint=False,
        )
        server.add_tool(guarded(getattr(tools, name)), name=name, title=TITLES[name], annotations=annotations)
    return server


def main() -> None:
    """Serve over stdio through the SDK until the client goes away."""
    build_server(warm=True).run()


if __name__ == "__main__":
    main()
