"""The kinds of turns and events a transcript holds.

Shared by the parser's records and the trajectory model (`trajectory_miner.model`), and kept
apart from both so that storing a transcript does not build the model's validators.
"""

from typing import Literal

TurnKind = Literal["prompt", "command", "notification", "implicit"]
EventKind = Literal[
    "compaction",
    "compact_summary",
    "interrupt",
    "api_error",
    "meta",
    "slash_command",
    "skill",
    "subagent",
    "system_error",
]
