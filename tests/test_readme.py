"""The README stays true: every command, setting and MCP tool is in it, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from mcp_server import TOOL_NAMES
from trajectory_miner.cli import build_parser
from trajectory_miner.config import Config

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_it_opens_with_one_sentence_then_the_two_quick_start_commands() -> None:
    quick = _section("Quick start")
    commands = re.search(r"```sh\n(.*?)```", quick, re.S)
    assert commands and len(commands.group(1).strip().splitlines()) == 2
    assert commands.group(1).startswith("./install.sh")
    assert list(re.findall(r"^## (.+)$", README, re.M)[:2]) == ["Quick start", "Test"]


def test_every_command_is_in_the_commands_table() -> None:
    table = _section("Commands")
    parser = build_parser()
    names = next(a for a in parser._actions if a.dest == "command").choices  # noqa: SLF001
    missing = [name for name in names if f"`trajectory-miner {name}" not in table]
    assert not missing


def test_every_setting_and_tool_is_documented() -> None:
    assert not [field for field in Config.model_fields if f"{field} =" not in _section("Configuration")]
    assert not [tool for tool in TOOL_NAMES if f"`{tool}`" not in _section("Commands")]


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"```sh\n(.*?)\n```", _section("Test"), re.S)
    assert command
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command.group(1).strip() in [line.strip() for line in ci]
