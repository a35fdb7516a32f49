"""End to end with the real `claude` CLI: a session stuck on a repeated error asks the miner."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.fake_api import RecordedRequest
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


def run_against_planted_store(scenario: Scenario, tmp_path: Path) -> list[RecordedRequest]:
    """Run a scenario with the plugin over a planted store and its live-hint table; the
    requests the model received."""
    home = tmp_path / "miner-home"
    database = planted_store(home)
    with open_store(database, read_only=True) as store:
        hints = hints_from_store(store)
    assert hints, "the planted store gives hints, so a missing hint means something"
    write_hints(home / "hints.json", hints)
    result = run_scenario(
        scenario,
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
    return list(result.main_requests())


def test_a_repeated_failure_gets_the_planted_fix_from_the_miner_and_the_live_hint(tmp_path: Path) -> None:
    requests = run_against_planted_store(STUCK_AGAIN, tmp_path)
    results = [block for message in requests[-1].body["messages"] for block in tool_results(message)]
    miner = [b for b in results if "worked_next" in json.dumps(b.get("content"))]
    assert miner, [json.dumps(b)[:300] for b in results]
    assert not miner[0].get("is_error")
    assert "python -m scripts.report_" in json.dumps(miner[0]["content"])
    hinted = [r for r in requests if "trajectory-miner: this error came back" in json.dumps(r.body)]
    assert hinted, "the PostToolUseFailure hook added no hint after the second failure"


BORROW = "error[E0502]: cannot borrow `totals` as mutable because it is also borrowed as immutable"
STUCK_ON_THE_UNSEEN = Scenario(
    "stuck_on_an_unseen_error_asks_the_miner",
    ("Build the ledger and tell me if it compiles.",),
    (
        turn(bash("{python} build_ledger.py", "Build the ledger")),
        turn(text("Same error again."), bash("{python} build_ledger.py", "Build the ledger again")),
        turn(text("This failed twice; the miner may still be starting."), call("WaitForMcpServers")),
        turn(
            text("Asking what worked before."),
            call(
                TOOL,
                stuck_description="the ledger build fails: a value is borrowed as mutable while borrowed",
                error_text=BORROW,
                recent_commands=["python build_ledger.py"],
            ),
        ),
        say("Nothing in the history helps here."),
    ),
    {"build_ledger.py": f"import sys\nsys.exit({BORROW!r})\n"},
)


def test_an_unseen_failure_gets_nothing_similar_and_no_hint(tmp_path: Path) -> None:
    requests = run_against_planted_store(STUCK_ON_THE_UNSEEN, tmp_path)
    results = [block for message in requests[-1].body["messages"] for block in tool_results(message)]
    answer = [b for b in results if "nothing similar in the history" in json.dumps(b.get("content"))]
    assert answer, [json.dumps(b)[:300] for b in results]
    assert not answer[0].get("is_error")
    assert "worked_next" not in json.dumps(answer[0]["content"])
    assert not [r for r in requests if "trajectory-miner: this error came back" in json.dumps(r.body)]
