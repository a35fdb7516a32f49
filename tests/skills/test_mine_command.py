"""The `/mine` slash command: valid frontmatter, commands the CLI accepts, tools the server has."""

import re
import shlex
import shutil
from pathlib import Path

import pytest
from skillkit import validate_plugin

from mcp_server.server import TOOL_NAMES
from trajectory_miner.cli import build_parser
from trajectory_miner.skills.skillmd import parse_frontmatter, split_frontmatter

REPO = Path(__file__).resolve().parents[2]
COMMAND = REPO / "commands" / "mine.md"
COMMAND_KEYS = {"description", "argument-hint", "allowed-tools", "model", "disable-model-invocation"}


def _parts() -> tuple[dict[str, str | None], str]:
    parts = split_frontmatter(COMMAND.read_text(encoding="utf-8"))
    assert parts is not None
    fields, problems = parse_frontmatter(parts[0])
    assert problems == []
    return fields, parts[1]


def test_the_frontmatter_has_a_description_and_only_command_keys() -> None:
    fields, _ = _parts()
    assert set(fields) <= COMMAND_KEYS
    description = fields["description"] or ""
    assert 20 < len(description) <= 1024 and "<" not in description


def test_allowed_tools_cover_the_cli_and_the_miners_mcp_tools_only() -> None:
    fields, _ = _parts()
    allowed = [t.strip() for t in (fields["allowed-tools"] or "").split(",")]
    assert "Bash(trajectory-miner *)" in allowed
    assert "mcp__plugin_trajectory-miner_miner__*" in allowed
    assert not any(t == "Bash" or t.startswith(("Edit", "Write")) for t in allowed)


def test_every_command_it_runs_or_names_is_one_the_cli_accepts() -> None:
    _, body = _parts()
    commands = re.findall(r"`(trajectory-miner [^`]+)`", body)
    assert any(c.startswith("trajectory-miner mine") for c in commands)
    assert any("skills approve" in c for c in commands) and any("skills export" in c for c in commands)
    parser = build_parser()
    for command in commands:
        text = command.replace("$ARGUMENTS", "").replace("<id>", "S-001").replace("<my words>", "yes")
        args = parser.parse_args(shlex.split(text)[1:])
        assert getattr(args, "handler", None) is not None, command


def test_approval_and_export_come_only_after_the_user_says_yes() -> None:
    _, body = _parts()
    ask = body.index("Ask me")
    assert ask < body.index("skills approve") < body.index("skills export")
    assert "until I answer" in body and "yes" in body[ask:]


def test_the_mcp_tools_it_names_exist_on_the_server() -> None:
    _, body = _parts()
    named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", body))
    assert named and named <= set(TOOL_NAMES), named - set(TOOL_NAMES)


@pytest.mark.skipif(shutil.which("claude") is None, reason="the claude CLI is not installed")
def test_claude_plugin_validate_passes_on_the_repository(tmp_path: Path) -> None:
    result = validate_plugin(REPO, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "commands: trajectory-miner:mine" in result.stdout
