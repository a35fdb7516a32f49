"""The `/mine` slash command: valid frontmatter, commands the CLI accepts, tools the server has,
and what it may run without asking the user."""

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from harness.claude_runner import claude_available, run_scenario
from harness.scenarios import Scenario, say
from skillkit import validate_plugin

from mcp_server.tools import TOOL_NAMES
from trajectory_miner.cli import build_parser, main
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


MCP_PREFIX = "mcp__plugin_trajectory-miner_miner__"
# What must keep asking the user: it forgets, writes files or changes what is stored.
NOT_PRE_APPROVED = (
    "trajectory-miner forget --yes",
    "trajectory-miner forget 1234 --yes",
    "trajectory-miner forget --project /work/x --yes",
    "trajectory-miner export parquet --out /tmp/x",
    "trajectory-miner export dataset --out /tmp/x",
    "trajectory-miner skills export",
    "trajectory-miner skills export --scope project",
    "trajectory-miner skills approve S-001 --reason yes",
    "trajectory-miner skills reject S-001",
    "trajectory-miner skills retire S-001",
    "trajectory-miner skills reopen S-001",
    "trajectory-miner ingest",
    "trajectory-miner rescore",
    "trajectory-miner feedback 1234 good",
    "trajectory-miner serve",
)


def _allowed() -> list[str]:
    fields, _ = _parts()
    return [t.strip() for t in (fields["allowed-tools"] or "").split(",") if t.strip()]


def _bash_patterns() -> list[str]:
    rules = [t for t in _allowed() if t.startswith("Bash")]
    assert all(t.startswith("Bash(") and t.endswith(")") for t in rules), rules
    return [t[len("Bash(") : -1] for t in rules]


def _approves(pattern: str, command: str) -> bool:
    """Whether a permission pattern matches a command, read as widely as Claude Code may:
    `*` is any text, and a trailing ` *` also matches the command with no arguments."""
    parts = [re.escape(part) for part in pattern.split("*")]
    regex = ".*".join(parts)
    if pattern.endswith(" *"):
        regex = regex[: -len(re.escape(" ") + ".*")] + "(?: .*)?"
    return re.fullmatch(regex, command, re.DOTALL) is not None


def test_allowed_tools_approve_no_command_that_forgets_exports_or_changes_skills() -> None:
    patterns = _bash_patterns()
    assert patterns and all(p.startswith("trajectory-miner ") for p in patterns), patterns
    assert not any(p.split(" ", 1)[1].lstrip().startswith("*") for p in patterns), "a bare `trajectory-miner *`"
    approved = {c for c in NOT_PRE_APPROVED for p in patterns if _approves(p, c)}
    assert approved == set()
    assert not any(t == "Bash" or t.startswith(("Edit", "Write", "NotebookEdit")) for t in _allowed())


def _accepted(command: str) -> bool:
    try:
        args = build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit:
        return False
    return getattr(args, "handler", None) is not None


def test_every_pre_approved_command_is_one_the_cli_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    for pattern in _bash_patterns():
        # A pattern's `*` stands for no arguments, or for a session or skill id.
        assert any(_accepted(pattern.replace(" *", filler)) for filler in ("", " S-001")), pattern


def test_what_the_command_runs_itself_and_its_review_steps_are_pre_approved() -> None:
    _, body = _parts()
    patterns = _bash_patterns()
    injected = re.findall(r"!`([^`]+)`", body)
    assert injected
    for line in injected:
        for arguments in ("", "--since 2026-01-01", "--project /work/x"):
            for command in re.split(r"&&|\|\||;|\|", line.replace("$ARGUMENTS", arguments)):
                assert any(_approves(p, command.strip()) for p in patterns), command
    for review in ("trajectory-miner skills show S-001", "trajectory-miner show 1234abcd", "trajectory-miner sessions"):
        assert any(_approves(p, review) for p in patterns), review


def test_the_mcp_tools_approved_are_the_read_only_ones_it_names() -> None:
    _, body = _parts()
    mcp = [t for t in _allowed() if t.startswith("mcp__")]
    assert mcp and all(t.startswith(MCP_PREFIX) and "*" not in t for t in mcp), mcp
    tools = {t.removeprefix(MCP_PREFIX) for t in mcp}
    assert tools <= set(TOOL_NAMES)
    assert not tools & {"review_skill", "record_feedback"}
    named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", body))
    assert named <= tools, named - tools


def test_every_command_it_runs_or_names_is_one_the_cli_accepts() -> None:
    _, body = _parts()
    named = re.findall(r"`(trajectory-miner [^`]+)`", body)
    commands = [c.strip() for line in named for c in line.split("&&")]
    assert any(c.startswith("trajectory-miner mine") for c in commands)
    assert any("skills approve" in c for c in commands) and any("skills export" in c for c in commands)
    parser = build_parser()
    for command in commands:
        text = command.replace("$ARGUMENTS", "").replace("<id>", "S-001").replace("<my words>", "yes")
        args = parser.parse_args(shlex.split(text)[1:])
        assert getattr(args, "handler", None) is not None, command


def test_the_skills_listing_runs_after_the_mining_in_the_same_shell_line() -> None:
    # Claude Code runs separate `!` lines at once: a listing of its own could read the store
    # before the miner has written it, and tell the user to mine right after mining.
    _, body = _parts()
    injected = re.findall(r"!`([^`]+)`", body)
    listing = [line for line in injected if "skills list" in line]
    assert len(listing) == 1
    assert re.search(r"trajectory-miner mine \$ARGUMENTS\s*&&\s*trajectory-miner skills list", listing[0])


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


CLI = Path(sys.executable).with_name("trajectory-miner")


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(not claude_available(), reason="the claude CLI is not installed")
@pytest.mark.skipif(not CLI.exists(), reason="no trajectory-miner program beside this interpreter")
def test_the_real_cli_runs_the_commands_the_slash_command_injects_without_asking(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = REPO / "tests" / "fixtures" / "transcripts" / "scoring_tests_still_failing_at_end.jsonl"
    assert main(["ingest", "--quiet", str(failing)]) == 0
    env = {
        "TRAJECTORY_MINER_HOME": str(isolated_home),
        "PATH": f"{CLI.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        # An interpreter that does nothing: the hooks build no environment and start no ingester.
        "TRAJECTORY_MINER_PYTHON": shutil.which("true") or "/bin/true",
    }
    # Bash itself is not allowed: only the command's own `allowed-tools` can let its lines run.
    scenario = Scenario("mine_command", ("/trajectory-miner:mine",), (say("Noted."),), allowed_tools=("Read",))

    result = run_scenario(scenario, plugin_dir=REPO, env=env, workdir=tmp_path / "run", timeout=180)

    output = result.runs[-1].output or {}
    assert result.exit_code == 0 and "permission" not in str(output.get("result", "")), output
    prompt = "\n".join(
        block.get("text", "")
        for request in result.main_requests()[:1]
        for message in request.body.get("messages", [])[:1]
        for block in message.get("content", [])
        if isinstance(block, dict)
    )
    assert "mined 1 session" in prompt
    assert prompt.count("no skills: no session scored at least 0.85 on every dimension (1 session mined)") == 2
    assert "no skills yet" not in prompt
