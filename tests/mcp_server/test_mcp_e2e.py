"""End to end with the real `claude` CLI: a session stuck on a repeated error asks the miner."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.scenarios import Scenario, bash, call, say, text, turn
from retrieval.builders import planted_store

from trajectory_miner.hints import hints_from_store, write_hints
from trajectory_miner.store import open_store

REPO = Path(__file__).resolve().parents[2]
TOOL = "mcp__plugin_trajectory-miner_miner__find_replay_for_stuck_step"
REPORT = 'from helpers import fmt\nprint("Total:", fmt(530.49))\n'

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not claude_available(), reason="the claude CLI is not installed"),
]

STUCK_AGAIN = Scenario(
    "stuck_module_error_asks_the_miner",
    ("Run scripts/report.py and tell me the total.",),
    (
        turn(bash("{python} scripts/report.py", "Run the report")),
        turn(text("Same error again."), bash("{python} scripts/report.py", "Run the report again")),
        turn(text("This failed twice; the miner may still be starting."), call("WaitForMcpServers")),
        turn(
            text("Asking what worked before."),
            call(
                TOOL,
                stuck_description="running scripts/report.py fails: helpers cannot be imported",
                error_text="ModuleNotFoundError: No module named 'helpers'",
                recent_commands=["python scripts/report.py"],
            ),
        ),
        say("Past sessions ran such scripts as modules from the repo root."),
    ),
    {"helpers/__init__.py": "def fmt(x):\n    return f'{x:.2f}'\n", "scripts/report.py": REPORT},
)


def tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The tool_result blocks of one message of a Messages API request."""
    content = message.get("content")
    if message.get("role") != "user" or not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]


def test_a_repeated_failure_gets_the_planted_fix_from_the_miner_and_the_live_hint(tmp_path: Path) -> None:
    home = tmp_path / "miner-home"
    database = planted_store(home)
    with open_store(database, read_only=True) as store:
        write_hints(home / "hints.json", hints_from_store(store))
    result = run_scenario(
        STUCK_AGAIN,
        plugin_dir=REPO,
        env={
            "TRAJECTORY_MINER_HOME": str(home),
            "TRAJECTORY_MINER_PYTHON": sys.executable,
            "ENABLE_TOOL_SEARCH": "false",
        },
        allowed_tools=(TOOL, "WaitForMcpServers"),
        workdir=tmp_path / "run",
        timeout=180,
    )
    assert result.exit_code == 0, result.runs[-1].stderr
    requests = result.main_requests()
    results = [block for message in requests[-1].body["messages"] for block in tool_results(message)]
    miner = [b for b in results if "worked_next" in json.dumps(b.get("content"))]
    assert miner, [json.dumps(b)[:300] for b in results]
    assert not miner[0].get("is_error")
    assert "python -m scripts.report_" in json.dumps(miner[0]["content"])
    hinted = [r for r in requests if "trajectory-miner: this error came back" in json.dumps(r.body)]
    assert hinted, "the PostToolUseFailure hook added no hint after the second failure"
