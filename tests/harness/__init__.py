"""End-to-end harness: the real `claude -p` CLI against a scripted loopback Messages API.

from tests.harness import Scenario, run_scenario, bash, read, say, turn

result = run_scenario(Scenario("demo", ("Fix it.",), (turn(bash("ls")), say("Done."))))
result.transcript_path, result.session_id, result.requests, result.home
"""

from .claude_runner import CliRun, HarnessError, RunResult, claude_available, run_scenario
from .fake_api import FakeMessagesAPI, RecordedRequest, Reply, Text, ToolCall
from .scenarios import UNSENT, Label, Scenario, bash, call, edit, read, say, text, turn, write

__all__ = [
    "UNSENT",
    "CliRun",
    "FakeMessagesAPI",
    "HarnessError",
    "Label",
    "RecordedRequest",
    "Reply",
    "RunResult",
    "Scenario",
    "Text",
    "ToolCall",
    "bash",
    "call",
    "claude_available",
    "edit",
    "read",
    "run_scenario",
    "say",
    "text",
    "turn",
    "write",
]
