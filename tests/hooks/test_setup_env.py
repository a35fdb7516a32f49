"""The background environment setup that SessionStart starts after a marketplace install."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hooks.simulate import REPO, fake_python, hook_module, payload, run_hook, spool_lines, wait_until

SESSION = "55555555-aaaa-4bbb-8ccc-000000000005"


@pytest.fixture
def plugin_root(tmp_path: Path) -> Path:
    """A copy of the plugin's hooks beside a pyproject.toml, as a marketplace install has."""
    root = tmp_path / "plugin"
    shutil.copytree(REPO / "hooks", root / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    (package := root / "trajectory_miner").mkdir()
    for name in ("__init__.py", "interpreter.py"):  # the interpreter rule the hooks load
        shutil.copy(REPO / "trajectory_miner" / name, package / name)
    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\n', encoding="utf-8")
    return root


def test_setup_is_needed_once_per_pyproject_version(
    plugin_root: Path, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_env = hook_module("setup_env")
    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON", raising=False)
    data = tmp_path / "data"
    data.mkdir()

    digest = setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data))
    assert digest == setup_env.source_digest(str(plugin_root))
    (data / "env.marker").write_text(digest + "\n", encoding="utf-8")
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) is None

    (plugin_root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n', encoding="utf-8")
    upgraded = setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data))
    assert upgraded is not None and upgraded != digest


def test_a_failed_setup_waits_an_hour_before_trying_the_same_version_again(
    plugin_root: Path, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_env = hook_module("setup_env")
    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    digest = setup_env.source_digest(str(plugin_root))
    (data / "env.failed").write_text(digest + "\n", encoding="utf-8")
    failed_at = (data / "env.failed").stat().st_mtime

    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data), now=failed_at + 60) is None
    later = failed_at + setup_env.SETUP_RETRY_S + 1
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data), now=later) == digest


def test_an_environment_from_install_sh_or_the_setting_means_no_setup(
    plugin_root: Path, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_env = hook_module("setup_env")
    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) is not None

    monkeypatch.setenv("TRAJECTORY_MINER_PYTHON", str(fake_python(tmp_path / "explicit", tmp_path / "r")))
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) is None

    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON")
    fake_python(isolated_home / "venv" / "bin", tmp_path / "r")
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) is None


def test_session_start_records_a_failed_setup_and_does_not_retry_it_at_once(
    hook_env: dict[str, str], isolated_home: Path, plugin_root: Path, tmp_path: Path
) -> None:
    (plugin_root / "pyproject.toml").write_text("[project\nthis is not TOML", encoding="utf-8")
    data = tmp_path / "data"
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)
    body = payload("SessionStart", SESSION, tmp_path / "t.jsonl", "/")

    first = run_hook("SessionStart", body, hook_env, plugin_root / "hooks")

    assert first.returncode == 0 and first.stdout == b""
    assert [line["event"] for line in spool_lines(isolated_home)] == ["SessionStart"]
    assert wait_until(lambda: (data / "env.failed").exists(), timeout=120)
    log = (data / "setup.log").read_text(encoding="utf-8")
    assert "setup failed" in log
    assert not (data / "env.marker").exists()

    assert run_hook("SessionStart", body, hook_env, plugin_root / "hooks").returncode == 0
    assert not wait_until(lambda: (data / "setup.log").read_text(encoding="utf-8") != log, timeout=1)


def test_a_running_setup_is_not_started_twice(plugin_root: Path, tmp_path: Path) -> None:
    import fcntl

    data = tmp_path / "data"
    data.mkdir()
    with (data / "setup.lock").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        finished = subprocess.run(
            [
                sys.executable,
                "-S",
                str(plugin_root / "hooks" / "setup_env.py"),
                str(plugin_root),
                str(data),
                "d",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )

    assert finished.returncode == 0
    assert sorted(path.name for path in data.iterdir()) == ["setup.lock"]


def _open_to_others(folder: Path) -> list[str]:
    """Paths under `folder` (itself included) that anyone but the owner may read, write or enter."""
    found = [folder, *folder.rglob("*")]
    return [str(p) for p in found if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077]


@pytest.mark.slow
def test_session_start_builds_the_environment_in_the_background_once(
    hook_env: dict[str, str], isolated_home: Path, tmp_path: Path
) -> None:
    data = tmp_path / "plugin-data"
    data.mkdir(mode=0o755)  # as Claude Code may have made it, open to others
    data.chmod(0o755)
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)
    hook_env["CLAUDE_PLUGIN_ROOT"] = str(REPO)
    hook_env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    body = payload("SessionStart", SESSION, tmp_path / "t.jsonl", "/")

    started = time.monotonic()
    umask = os.umask(0o002)  # a lax umask, inherited by the hook and the setup it starts
    try:
        first = run_hook("SessionStart", body, hook_env)
    finally:
        os.umask(umask)
    assert time.monotonic() - started < 10  # the session never waits for pip
    assert first.returncode == 0 and first.stdout == b""

    marker = data / "env.marker"
    assert wait_until(marker.exists, timeout=600), (data / "setup.log").read_text(encoding="utf-8")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "venv").stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "setup.log").stat().st_mode) == 0o600
    assert _open_to_others(data) == []
    python = data / "venv" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-I", "-c", "import trajectory_miner, mcp_server; print(trajectory_miner.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert probe.stdout.startswith(str(data / "venv"))
    helped = subprocess.run(
        [str(python), "-I", "-m", "trajectory_miner", "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0, helped.stderr
    assert not any(REPO.glob("build")), "the setup built inside the plugin folder"

    log_size = (data / "setup.log").stat().st_size
    assert run_hook("SessionStart", body, hook_env).returncode == 0
    setup_env = hook_module("setup_env")
    env_backup = dict(os.environ)
    try:
        os.environ.pop("TRAJECTORY_MINER_PYTHON", None)
        assert setup_env.setup_needed(str(isolated_home), str(REPO), str(data)) is None
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    assert (data / "setup.log").stat().st_size == log_size


def test_a_change_to_one_module_and_nothing_else_asks_for_a_new_environment(
    plugin_root: Path, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_env = hook_module("setup_env")
    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON", raising=False)
    module = plugin_root / "trajectory_miner" / "scoring.py"
    module.write_text("LIMIT = 1\n", encoding="utf-8")
    (plugin_root / "trajectory_miner" / "__pycache__").mkdir()
    data = tmp_path / "data"
    data.mkdir()
    digest = setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data))
    (data / "env.marker").write_text(f"{digest}\n", encoding="utf-8")

    (plugin_root / "trajectory_miner" / "__pycache__" / "scoring.cpython-311.pyc").write_bytes(b"\0")
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) is None
    module.write_text("LIMIT = 2\n", encoding="utf-8")
    assert setup_env.setup_needed(str(isolated_home), str(plugin_root), str(data)) not in (None, digest)


def test_a_new_environment_replaces_the_old_one_only_once_complete(
    plugin_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_env = hook_module("setup_env")
    data = tmp_path / "data"
    seen_while_building: list[str] = []

    def fake_install(root: str, venv: str, scratch: str, log: object) -> str:
        current = data / "venv" / "bin" / "python"
        seen_while_building.append(current.read_text(encoding="utf-8") if current.exists() else "")
        python = Path(venv) / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(Path(venv).name, encoding="utf-8")
        return str(python)

    monkeypatch.setattr(setup_env, "_install", fake_install)
    for digest in ("a" * 64, "b" * 64, "c" * 64):
        assert setup_env.main([str(plugin_root), str(data), digest]) == 0

    assert seen_while_building == ["", "a" * 16, "b" * 16]
    assert (data / "venv" / "bin" / "python").read_text(encoding="utf-8") == "c" * 16
    assert (data / "env.marker").read_text(encoding="utf-8").strip() == "c" * 64
    # The previous environment stays for a server that still runs from it; older ones go.
    assert sorted(path.name for path in (data / "envs").iterdir()) == ["b" * 16, "c" * 16]


@pytest.mark.slow
def test_an_update_that_changes_one_module_reaches_the_hooks_environment(
    hook_env: dict[str, str], tmp_path: Path
) -> None:
    plugin = tmp_path / "plugin"
    litter = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".*_cache", "tests", "bench", "build")
    shutil.copytree(REPO, plugin, ignore=litter)
    data = tmp_path / "plugin-data"
    hook_env["CLAUDE_PLUGIN_DATA"] = str(data)
    hook_env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    body = payload("SessionStart", SESSION, tmp_path / "t.jsonl", "/")
    python = data / "venv" / "bin" / "python"
    probe = [str(python), "-I", "-c", "import trajectory_miner.paths as p; print(getattr(p, 'UPDATED', 'old'))"]

    assert run_hook("SessionStart", body, hook_env, plugin / "hooks").returncode == 0
    assert wait_until((data / "env.marker").exists, timeout=600), (data / "setup.log").read_text(encoding="utf-8")
    first = (data / "env.marker").read_text(encoding="utf-8")
    assert subprocess.run(probe, capture_output=True, text=True, timeout=60).stdout.strip() == "old"

    with (plugin / "trajectory_miner" / "paths.py").open("a", encoding="utf-8") as module:
        module.write("\nUPDATED = 'new'\n")
    assert run_hook("SessionStart", body, hook_env, plugin / "hooks").returncode == 0
    # While the new environment is built, the hooks' interpreter always imports a whole package.
    while (data / "env.marker").read_text(encoding="utf-8") == first:
        during = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        assert during.returncode == 0 and during.stdout.strip() in ("old", "new"), during.stderr
        time.sleep(1)

    assert subprocess.run(probe, capture_output=True, text=True, timeout=60).stdout.strip() == "new"
    assert len(list((data / "envs").iterdir())) == 2


def test_the_time_left_is_told_from_the_last_setup_this_machine_timed(tmp_path: Path) -> None:
    import fcntl

    setup_env = hook_module("setup_env")
    data = tmp_path / "data"
    data.mkdir()
    (data / "setup.log").write_text("setup done in 100 s\n", encoding="utf-8")
    with (data / "setup.lock").open("w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = (data / "setup.lock").stat().st_mtime
        running = setup_env.setup_state(str(data), now=started + 40)

    assert "started 40 s ago" in running and "about 60 s left" in running
    assert "install.sh" in setup_env.setup_state(None)
    (data / "env.failed").write_text("d\n", encoding="utf-8")
    assert "could not set up" in setup_env.setup_state(str(data))
