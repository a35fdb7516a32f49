"""Shared test setup: every test gets its own data home and Claude config folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the data home and the Claude config folder at temporary folders."""
    home = tmp_path / "miner-home"
    config = tmp_path / "claude-config"
    (config / "projects").mkdir(parents=True)
    monkeypatch.setenv("TRAJECTORY_MINER_HOME", str(home))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return home


@pytest.fixture
def every_entry_dir() -> Path:
    """A project folder whose session uses every entry type, with one subagent sidechain."""
    return FIXTURES / "transcripts" / "project-every-entry"
