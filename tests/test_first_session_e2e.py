"""End to end with the real `claude` CLI: a plugin loaded with no install.sh works from its first session.

A fresh HOME, `claude --plugin-dir` on a clean copy of the plugin, nothing installed: the
first session runs while the plugin sets its environment up in the background, and its MCP
tool says so instead of failing; once the setup has finished, the plugin's own
`trajectory-miner` command is on the Bash tool's PATH, the next session's tool call is
served, and `/trajectory-miner:mine` runs the command and hands its output to the model.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.fake_api import ToolCall
from harness.scenarios import Scenario, call, say, text, turn

REPO = Path(__file__).resolve().parents[1]
TOOL = "mcp__plugin_trajectory-miner_miner__find_replay_for_stuck_step"
MARKER = "$HOME/.claude/plugins/data/trajectory-miner-inline/env.marker"
WAIT = f'for i in $(seq 600); do [ -f "{MARKER}" ] && break; sleep 1; done; ls "{MARKER}"'
ASK = {"stuck_description": "the build fails with a missing module", "error_text": "ModuleNotFoundError: x"}

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not claude_available(), reason="the claude CLI is not installed"),
]

FIRST_SESSIONS = Scenario(
    "a_plugin_dir_install_works_from_its_first_session",
    (
        "Ask the miner about the failing build.",
        "Wait for the miner's setup, then check its command.",
        "Ask the miner again.",
        "/trajectory-miner:mine",
    ),
    (
        turn(text("Asking the miner."), call(TOOL, **ASK)),
        say("The miner is still setting up."),
        turn(ToolCall("Bash", {"command": WAIT, "description": "Wait for the setup", "timeout": 600000})),
        turn(ToolCall("Bash", {"command": "trajectory-miner --version", "description": "The plugin's command"})),
        say("The command works."),
        turn(text("Asking the miner."), call(TOOL, **ASK)),
        say("The miner answered."),
        say("The miner ran."),
    ),
)


def plugin_copy(where: Path) -> Path:
    """The plugin as a user would get it: the tracked files only, no build or cache litter."""
    litter = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".*_cache", ".venv", "build", "tests", "bench")
    shutil.copytree(REPO, where, ignore=litter, symlinks=True)
    return where


def results(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for message in body["messages"]:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            found.extend(b for b in content if isinstance(b, dict) and b.get("type") == "tool_result")
    return found


def path_without_the_command() -> str:
    folders = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and not (Path(f) / "trajectory-miner").exists())


def test_a_plugin_dir_install_works_from_its_first_session(tmp_path: Path) -> None:
    plugin = plugin_copy(tmp_path / "plugin")
    env = {"PATH": path_without_the_command()}
    for name in ("PYENV_ROOT", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]

    result = run_scenario(
        FIRST_SESSIONS, plugin_dir=plugin, env=env, allowed_tools=(TOOL,), workdir=tmp_path / "run", timeout=900
    )

    assert [run.exit_code for run in result.runs] == [0, 0, 0, 0], result.runs[-1].stderr
    requests = result.main_requests()
    texts = [json.dumps(block.get("content")) for block in results(requests[-1].body)]
    # Session 1: the tool exists and says the setup is under way.
    setting_up = [t for t in texts if "setting up" in t or "no Python environment yet" in t]
    assert setting_up and "No such tool" not in " ".join(texts), texts
    # Once the setup has finished, the plugin's own command runs in the Bash tool.
    assert any("trajectory-miner 0." in t for t in texts), texts
    # Session 3: the tool call is served by the environment's server.
    served = [b for b in results(requests[-2].body) if "error_signature" in json.dumps(b.get("content"))]
    assert served and not served[-1].get("is_error"), texts
    # /trajectory-miner:mine ran the command; its output reached the model.
    prompt = json.dumps([m for m in requests[-1].body["messages"] if m.get("role") == "user"][-3:])
    assert "Shell command failed" not in prompt and "command not found" not in prompt
    assert "/trajectory-miner/reports/" in prompt, prompt[-3000:]
