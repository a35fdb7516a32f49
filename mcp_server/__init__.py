"""The MCP server `miner`: the store's knowledge served to live Claude Code sessions over stdio.

`python -m mcp_server` (or `trajectory-miner serve`) runs it through `mcp_server.stdio`;
`build_server` makes the SDK's server for a given data home, which tests drive in memory.
The names below load with their module on first use, so serving never imports the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from mcp_server.server import build_server
    from mcp_server.stdio import main
    from mcp_server.tools import INSTRUCTIONS, TOOL_NAMES

_HOMES = {"tools": ("INSTRUCTIONS", "TOOL_NAMES"), "server": ("build_server",), "stdio": ("main",)}

__all__ = ["INSTRUCTIONS", "TOOL_NAMES", "build_server", "main"]

__getattr__ = lazy_attributes(__name__, _HOMES)
