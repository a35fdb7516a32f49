"""SubagentStop hook: runs when a subagent finishes.

Its spool line carries the subagent's own transcript (`agent_transcript_path`).

Runs as `python3 -S`; the shared behaviour is described in `_hookio`.
"""

import _hookio

_hookio.run("SubagentStop")
