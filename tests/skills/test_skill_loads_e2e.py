"""End to end with the real `claude` CLI: a skill mined from recorded sessions and exported as
SKILL.md is listed to the model and loads when the model calls it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.scenarios import Scenario, call, say, turn
from learning_skills import LABELS, mine_and_export

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not claude_available(), reason="the claude CLI is not installed"),
    pytest.mark.skipif(not LABELS.exists(), reason="the learning set is not recorded"),
]


def tool_results(body: dict[str, Any]) -> list[str]:
    """The text of every tool_result block in a Messages API request body."""
    found: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            found += [json.dumps(b.get("content")) for b in content if b.get("type") == "tool_result"]
    return found


def test_an_exported_mined_skill_is_listed_and_loads_in_claude(tmp_path: Path) -> None:
    exported = mine_and_export(tmp_path / "mined")
    (chosen,) = [e for e in exported if e.skill.fix_kind == "env_var" and "DATABASE_URL" in e.text]
    scenario = Scenario(
        "mined_skill_loads",
        ("app.py fails with KeyError: 'DATABASE_URL'. What do past sessions say?",),
        (turn(call("Skill", skill=chosen.folder)), say("The skill says to set DATABASE_URL.")),
        {f".claude/skills/{chosen.folder}/SKILL.md": chosen.text, "app.py": "import os\nos.environ['DATABASE_URL']\n"},
        allowed_tools=("Skill",),
    )
    result = run_scenario(scenario, workdir=tmp_path / "run", timeout=120)
    assert result.exit_code == 0, result.runs[-1].stderr
    requests = result.main_requests()
    assert chosen.folder in json.dumps(requests[0].body), "the skill is not listed to the model"
    assert tool_results(requests[-1].body) == [json.dumps(f"Launching skill: {chosen.folder}")]
    # The skill's body reaches the model after the call, and only then.
    body = chosen.text.split("---", 2)[2]
    steps = body.split("## Steps", 1)[1].split("##", 1)[0].strip()
    assert "## Why it works" not in json.dumps(requests[0].body)
    assert json.dumps(steps)[1:-1] in json.dumps(requests[-1].body)
