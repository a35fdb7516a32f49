"""trajectory-miner: capture, score and mine Claude Code sessions.

The core is plain functions and data over a store that is passed in; only the CLI and the
MCP server read the environment or choose paths, through `trajectory_miner.paths`.
"""

# The one place the version is written: pyproject.toml reads it from here, and a test holds
# .claude-plugin/plugin.json (which Claude Code reads to notice an update) to the same value.
__version__ = "0.1.0"
