"""`bin/trajectory-miner`: the plugin's own command, run from whichever environment exists."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hooks.simulate import REPO, fake_python, records

COMMAND = REPO / "bin" / "trajectory-miner"


def run(command: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(command), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def plugin_copy(where: Path) -> Path:
    """The command and the hooks, where Claude Code would have put the plugin."""
    shutil.copytree(REPO / "hooks", where / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    (package := where / "trajectory_miner").mkdir()
    for name in ("__init__.py", "interpreter.py"):  # the interpreter rule the hooks load
        shutil.copy(REPO / "trajectory_miner" / name, package / name)
    shutil.copytree(REPO / "bin", where / "bin")
    return where / "bin" / "trajectory-miner"


def ready_env(data: Path, record: Path) -> None:
    fake_python(data / "venv" / "bin", record)
    (data / "env.marker").write_text("digest\n", encoding="utf-8")


def test_it_runs_the_cli_of_the_named_environment_with_every_argument(hook_env: dict[str, str], tmp_path: Path) -> None:
    record = tmp_path / "runs.jsonl"
    hook_env["TRAJECTORY_MINER_PYTHON"] = str(fake_python(tmp_path / "env", record))

    finished = run(COMMAND, hook_env, "mine", "--since", "2026-01-01")

    assert finished.returncode == 0, finished.stderr
    assert [run["argv"] for run in records(record)] == [
        ["-I", "-m", "trajectory_miner", "mine", "--since", "2026-01-01"]
    ]


def test_without_an_environment_it_fails_and_says_what_to_do(hook_env: dict[str, str]) -> None:
    finished = run(COMMAND, hook_env, "sessions")

    assert finished.returncode == 1
    assert finished.stdout == ""
    assert "install.sh" in finished.stderr


def test_a_marketplace_copy_finds_its_plugin_data_without_being_told(hook_env: dict[str, str], tmp_path: Path) -> None:
    config = Path(hook_env["CLAUDE_CONFIG_DIR"])
    command = plugin_copy(config / "plugins" / "cache" / "some.market" / "trajectory-miner" / "0.2.0")
    record = tmp_path / "runs.jsonl"
    ready_env(config / "plugins" / "data" / "trajectory-miner-some-market", record)
    ready_env(config / "plugins" / "data" / "trajectory-miner-inline", tmp_path / "wrong.jsonl")

    finished = run(command, hook_env, "doctor")

    assert finished.returncode == 0, finished.stderr
    assert [run["argv"][-1] for run in records(record)] == ["doctor"]
    assert records(tmp_path / "wrong.jsonl") == []


def test_a_plugin_dir_copy_uses_the_inline_plugin_data(hook_env: dict[str, str], tmp_path: Path) -> None:
    config = Path(hook_env["CLAUDE_CONFIG_DIR"])
    command = plugin_copy(tmp_path / "checkout")
    record = tmp_path / "runs.jsonl"
    ready_env(config / "plugins" / "data" / "trajectory-miner-inline", record)

    finished = run(command, hook_env, "report")

    assert finished.returncode == 0, finished.stderr
    assert len(records(record)) == 1


def test_a_setup_that_has_not_finished_is_not_used(hook_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    record = tmp_path / "runs.jsonl"
    fake_python(data / "venv" / "bin", record)
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)

    finished = run(COMMAND, hook_env, "sessions")

    assert finished.returncode == 1
    assert records(record) == []
    assert os.access(COMMAND, os.X_OK)
