"""The MCP server `miner`: the store's knowledge served to live Claude Code sessions over stdio.

`python -m mcp_server` (or `trajectory-miner serve`) runs it; `build_server` makes one for a
given data home, which tests drive in memory.
"""

from mcp_server.server import INSTRUCTIONS, TOOL_NAMES, build_server, main

__all__ = ["INSTRUCTIONS", "TOOL_NAMES", "build_server", "main"]
