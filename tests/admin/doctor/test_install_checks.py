"""The doctor's install checks: the command on the PATH, the plugin in Claude Code, its environment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.admin.doctor.install import check_command, check_plugin, plugin_data_folder
from trajectory_miner.cli import main


@pytest.fixture
def config(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CLAUDE_PLUGIN_DATA", raising=False)
    monkeypatch.delenv("TRAJECTORY_MINER_PYTHON", raising=False)
    return Path(os.environ["CLAUDE_CONFIG_DIR"])


def finished_env(folder: Path, python: str = sys.executable) -> Path:
    (folder / "venv" / "bin").mkdir(parents=True)
    # A wrapper, not a link: a linked interpreter would look for its environment beside the link.
    wrapper = folder / "venv" / "bin" / "python"
    wrapper.write_text(f'#!/bin/sh\nexec {python} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    (folder / "env.marker").write_text("digest\n", encoding="utf-8")
    return folder


def test_the_plugin_data_folder_is_found_without_claude_code_naming_it(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = config / "plugins" / "data"
    inline = finished_env(data / "trajectory-miner-inline")
    (data / "trajectory-miner-market").mkdir(parents=True)  # installed, its setup not finished

    assert plugin_data_folder(config, prefix=str(tmp_path / "elsewhere")) == inline
    assert plugin_data_folder(config, prefix=str(data / "other-x" / "envs" / "abc")) == data / "other-x"
    monkeypatch.setenv("CLAUDE_PLUGIN_DATA", str(tmp_path / "told"))
    assert plugin_data_folder(config) == tmp_path / "told"


def test_the_command_is_reported_where_it_is_found_and_how_to_reach_it_when_not(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "trajectory-miner"
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)

    found = check_command(str(folder))
    missing = check_command(str(tmp_path / "empty"))

    assert found.level == "ok" and str(program) in found.summary
    assert missing.level == "note" and "not on the PATH" in missing.summary and missing.fix


@pytest.mark.parametrize(
    ("enabled", "level", "fix"),
    [
        ({"trajectory-miner@trajectory-miner-local": True}, "ok", ""),
        ({"trajectory-miner@shop": False}, "problem", "claude plugin enable trajectory-miner@shop"),
        ({"other@shop": True}, "note", "install.sh"),
        (None, "note", "install.sh"),
    ],
)
def test_the_plugin_registration_is_read_from_claude_codes_settings(
    config: Path, enabled: dict[str, bool] | None, level: str, fix: str
) -> None:
    if enabled is not None:
        (config / "settings.json").write_text(json.dumps({"enabledPlugins": enabled}), encoding="utf-8")

    found = check_plugin(config)

    assert found.level == level
    assert fix in found.fix


def test_doctor_run_from_the_plugins_own_environment_finds_it(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = finished_env(config / "plugins" / "data" / "trajectory-miner-inline")

    main(["doctor", "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)

    checks = {c["name"]: c for c in report["checks"]}
    assert checks["environment"]["level"] == "ok", checks["environment"]
    assert checks["environment"]["details"]["python"] == str(data / "venv" / "bin" / "python")
    assert {"command", "plugin"} <= set(checks)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "IO Error: Trying to read a database file with version number 99, but we can only read version 65. "
            "The database file was created with a newer version of DuckDB.",
            True,
        ),
        ("IO Error: The file is not a valid DuckDB database file!", False),
    ],
)
def test_a_store_of_another_duckdb_version_is_told_apart_from_a_damaged_one(message: str, expected: bool) -> None:
    from trajectory_miner.admin.doctor import OTHER_DUCKDB_ADVICE, written_by_another_duckdb

    assert written_by_another_duckdb(message) is expected
    assert "update" in OTHER_DUCKDB_ADVICE and "do not move it aside" in OTHER_DUCKDB_ADVICE
