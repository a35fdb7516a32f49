"""trajectory-miner: capture, score and mine Claude Code sessions.

The core is plain functions and data over a store that is passed in; only the CLI and the
MCP server read the environment or choose paths, through `trajectory_miner.paths`.
"""

__version__ = "0.1.0"
