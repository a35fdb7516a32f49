"""Where things live: the one module that reads the environment to choose paths.

Only the CLI and the MCP server import it; the core takes every path as an argument.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """The data home and the files inside it."""

    home: Path
    projects: Path

    @property
    def database(self) -> Path:
        return self.home / "miner.duckdb"

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool"

    @property
    def ingest_lock(self) -> Path:
        return self.home / "ingest.lock"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def hints_file(self) -> Path:
        """The live-hint table the PostToolUseFailure hook reads."""
        return self.home / "hints.json"

    @property
    def hook_errors(self) -> Path:
        return self.home / "hook-errors.log"


def claude_config_dir() -> Path:
    """`$CLAUDE_CONFIG_DIR`, or `~/.claude`."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def resolve() -> Paths:
    """The paths for this process, from `$TRAJECTORY_MINER_HOME` and `$CLAUDE_CONFIG_DIR`."""
    configured = os.environ.get("TRAJECTORY_MINER_HOME")
    home = Path(configured).expanduser() if configured else claude_config_dir() / "trajectory-miner"
    return Paths(home=home, projects=claude_config_dir() / "projects")


def ensure_home(paths: Paths) -> None:
    """Create the data home readable by the user alone."""
    paths.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths.spool_dir.mkdir(exist_ok=True, mode=0o700)
    os.chmod(paths.home, 0o700)
