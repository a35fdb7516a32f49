"""install.sh in a throwaway HOME: the environment works, the program is linked, re-running is safe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLAUDE = shutil.which("claude")

pytestmark = pytest.mark.slow


def install(home: Path, data_home: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "HOME": str(home),
        "PATH": path,
        "TRAJECTORY_MINER_HOME": str(data_home),
        "DISABLE_TELEMETRY": "1",
        "LANG": "C.UTF-8",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT", "SSL_CERT_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    # The user's pip cache spares the test a download of every dependency.
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    return subprocess.run(
        ["bash", str(REPO / "install.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def path_without_claude(tmp_path: Path) -> str:
    """A PATH with python3 and the basic tools but no `claude`."""
    folder = tmp_path / "bin"
    folder.mkdir()
    tools = ("python3", "bash", "tar", "mktemp", "rm", "mkdir", "chmod", "ln", "sed", "dirname", "cat", "env", "grep")
    for tool in (*tools, "basename"):
        found = shutil.which(tool, path="/usr/local/bin:/usr/bin:/bin")
        if found:
            (folder / tool).symlink_to(found)
    return str(folder)


def next_command(output: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith("Next: ")]
    return line.removeprefix("Next: ")


def login_shell(home: Path, data_home: Path, command: str) -> subprocess.CompletedProcess[str]:
    """`command` in a new login shell that inherits nothing but HOME and the data home."""
    env = {"HOME": str(home), "TRAJECTORY_MINER_HOME": str(data_home), "SHELL": "/bin/sh"}
    return subprocess.run(
        ["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-lc", command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_install_without_claude_makes_a_working_program_and_can_run_again(tmp_path: Path) -> None:
    home, data_home = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    path = path_without_claude(tmp_path)
    assert login_shell(home, data_home, "command -v trajectory-miner").returncode != 0

    first = install(home, data_home, path)

    assert first.returncode == 0, first.stdout + first.stderr
    program = home / ".local" / "bin" / "trajectory-miner"
    assert program.is_symlink() and program.resolve() == (data_home / "venv" / "bin" / "trajectory-miner").resolve()
    assert next_command(first.stdout) == f"claude --plugin-dir {REPO}"
    assert "open a new one, or run: export PATH=" in first.stdout
    # The README's commands, verbatim, in a new login shell on a default PATH.
    readme = login_shell(home, data_home, "trajectory-miner --version && trajectory-miner sessions")
    assert readme.returncode == 0, readme.stderr
    assert "trajectory-miner" in readme.stdout and "no sessions yet" in readme.stdout
    helped = subprocess.run([str(program), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert helped.returncode == 0 and "ingest" in helped.stdout
    assert data_home.stat().st_mode & 0o777 == 0o700
    assert not (home / ".claude" / "settings.json").exists()

    again = install(home, data_home, path)

    assert again.returncode == 0, again.stdout + again.stderr
    assert "Creating the environment" not in again.stdout
    assert subprocess.run([str(program), "--help"], capture_output=True, timeout=60, check=False).returncode == 0
    profile = (home / ".profile").read_text(encoding="utf-8")
    assert profile.count("trajectory-miner") == 1, "a second run added a second PATH line"

    (data_home / "config.toml").write_text("", encoding="utf-8")
    removed = install(home, data_home, path, "--uninstall")

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not program.exists() and not program.is_symlink()
    assert "trajectory-miner" not in (home / ".profile").read_text(encoding="utf-8")
    assert not (data_home / "venv").exists() and (data_home / "config.toml").exists()
    assert "claude plugin uninstall trajectory-miner@trajectory-miner-local" in removed.stdout
    purged = install(home, data_home, path, "--uninstall", "--purge")
    assert purged.returncode == 0 and not data_home.exists()


def test_install_with_no_modify_path_prints_the_line_and_touches_no_profile(tmp_path: Path) -> None:
    home, data_home = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    venv_python = data_home / "venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    # An existing environment is reused, so this run installs only the package.
    assert subprocess.run(["python3", "-m", "venv", str(data_home / "venv")], check=False).returncode == 0

    finished = install(home, data_home, path_without_claude(tmp_path), "--no-modify-path")

    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert not (home / ".profile").exists()
    [line] = [line.strip() for line in finished.stdout.splitlines() if "export PATH=" in line and "case" in line]
    shown = subprocess.run(
        ["env", "-i", f"HOME={home}", "/bin/sh", "-c", f"{line}\ncommand -v trajectory-miner"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.stdout.strip() == str(home / ".local" / "bin" / "trajectory-miner")


@pytest.mark.skipif(CLAUDE is None, reason="claude is not installed")
def test_install_with_claude_registers_the_local_marketplace_once(tmp_path: Path) -> None:
    assert CLAUDE is not None
    home, data_home = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    path = path_without_claude(tmp_path)
    (Path(path) / "claude").symlink_to(CLAUDE)

    first = install(home, data_home, path, "--dev")
    second = install(home, data_home, path, "--dev")

    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    assert next_command(second.stdout) == "claude"
    listed = subprocess.run(
        [CLAUDE, "plugin", "list", "--json"],
        env={"HOME": str(home), "PATH": path, "DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    plugins = json.loads(listed.stdout)
    assert [p["id"] for p in plugins] == ["trajectory-miner@trajectory-miner-local"]
    assert plugins[0]["enabled"] is True
    python = data_home / "venv" / "bin" / "python"
    tools = subprocess.run([str(python), "-c", "import pytest, ruff"], capture_output=True, timeout=60, check=False)
    assert tools.returncode == 0, "--dev did not install the development tools"


def test_install_refuses_an_unknown_option(tmp_path: Path) -> None:
    finished = install(tmp_path, tmp_path / "data", path_without_claude(tmp_path), "--bogus")

    assert finished.returncode == 2
    assert "unknown option" in finished.stderr
    assert not (tmp_path / "data").exists()
