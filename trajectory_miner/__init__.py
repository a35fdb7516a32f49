"""trajectory-miner: capture, score and mine Claude Code sessions.

The core is plain functions and data over a store that is passed in; only the CLI and the
MCP server read the environment or choose paths, through `trajectory_miner.paths`.

A transcript line travels through the packages in this order: `capture` (the hooks' spool,
the background ingester, reading transcripts from their last offset) hands lines to
`transcript` (the parser and its records), which `redaction` cleans before `store` keeps
them (its `tables` declare the rows). `sessions` and `model` read them back; `analysis` says
what steps mean; `scoring` rates each session, `mining` finds what recurs, `skills` carries
what was learned to Claude Code, `retrieval` answers a live session, and `hints` writes the
table the failure hook reads. `feedback` keeps a user's verdicts, `admin` the health checks
and forgetting, `report` and `export` the page and the datasets, and `cli` the commands.
"""

# The one place the version is written: pyproject.toml reads it from here, and a test holds
# .claude-plugin/plugin.json (which Claude Code reads to notice an update) to the same value.
__version__ = "0.1.0"
