"""End to end with the real `claude` CLI: the plugin's hooks spool a session, and it is stored."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.scenarios import Scenario, bash, say, text, turn

from trajectory_miner.capture.ingester import drain_spool
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths
from trajectory_miner.store import open_store

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not claude_available(), reason="the claude CLI is not installed"),
]

ONE_FAILURE = Scenario(
    "plugin_spools_a_session_with_one_failing_command",
    ("Check that the tools module imports.",),
    (
        turn(text("Importing it."), bash("{python} -c 'import toolz_missing_module'", "Import the module")),
        turn(text("Wrong name; the module is tools."), bash("{python} -c 'import tools'", "Import tools")),
        say("The tools module imports."),
    ),
    {"tools.py": "VALUE = 1\n"},
)


def spool_events(home: Path) -> list[dict[str, object]]:
    lines = []
    for path in sorted((home / "spool").glob("*.jsonl")):
        lines.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return lines


def test_a_session_run_with_the_plugin_is_spooled_by_its_hooks_and_stored(tmp_path: Path) -> None:
    home = tmp_path / "miner-home"
    env = {"TRAJECTORY_MINER_HOME": str(home), "TRAJECTORY_MINER_PYTHON": sys.executable}
    if "PYENV_ROOT" in os.environ:  # a version manager's python3 shim keys on HOME, which the run replaces
        env["PYENV_ROOT"] = os.environ["PYENV_ROOT"]

    result = run_scenario(ONE_FAILURE, plugin_dir=REPO, env=env, workdir=tmp_path / "run", timeout=180)

    assert result.exit_code == 0, result.runs[-1].stderr
    events = spool_events(home)
    fired = {str(line["event"]) for line in events}
    assert {"SessionStart", "Stop"} <= fired, events
    assert {line["session_id"] for line in events} == {result.session_id}
    assert {line["transcript_path"] for line in events} == {str(result.transcript_path)}
    assert not (home / "hook-errors.log").exists()

    final = drain_spool(Paths(home=home, projects=result.claude_dir / "projects"), Config(), lock_wait=60)

    assert not final.locked_out and not final.busy
    with open_store(home / "miner.duckdb", read_only=True) as store:
        turns = store.query("SELECT prompt FROM turns WHERE session_id = ?", [result.session_id])
        steps = store.query(
            "SELECT tool_name, is_error, exit_code, error_signature FROM steps WHERE session_id = ? "
            "ORDER BY step_index",
            [result.session_id],
        )
    assert turns == [("Check that the tools module imports.",)]
    assert [(name, is_error) for name, is_error, _, _ in steps] == [("Bash", True), ("Bash", False)]
    _, _, exit_code, signature = steps[0]
    assert exit_code == 1
    assert signature is not None and "ModuleNotFoundError" in signature
