"""Hook tests run the real scripts as subprocesses, in an environment with no plugin setup."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_INHERITED_SETUP = ("TRAJECTORY_MINER_PYTHON", "CLAUDE_PLUGIN_DATA", "CLAUDE_PLUGIN_ROOT", "CLAUDE_ENV_FILE")


@pytest.fixture
def hook_env(isolated_home: Path) -> dict[str, str]:
    """The environment Claude Code would give a hook, with no interpreter configured."""
    env = {key: value for key, value in os.environ.items() if key not in _INHERITED_SETUP}
    env["TRAJECTORY_MINER_HOME"] = str(isolated_home)
    return env


@pytest.fixture
def transcript(isolated_home: Path) -> Path:
    """Where a session's transcript would live under the temporary Claude config folder."""
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    return config / "projects" / "-work-demo" / "44444444-aaaa-4bbb-8ccc-000000000004.jsonl"
