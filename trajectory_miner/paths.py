"""Where things live: the one module that reads the environment to choose paths.

Only the CLI and the MCP server import it; the core takes every path as an argument.
"""

from __future__ import annotations

import os
import re
import time
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
    def writer_lock(self) -> Path:
        """The lock every writer of the store holds (see `trajectory_miner.store.lock`)."""
        return self.home / "writer.lock"

    @property
    def forgotten_file(self) -> Path:
        """The ids of forgotten sessions, kept outside the store so a rebuilt one honours them."""
        return self.home / "forgotten-sessions.txt"

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


def live_session(projects: Path, project_dir: str | None, within_seconds: float = 900.0) -> str | None:
    """The id of the session Claude Code is writing in `project_dir` now: its newest transcript
    in the project's folder under `projects`, when written in the last `within_seconds`."""
    if not project_dir:
        return None
    # Claude Code names a project's folder by its path with every other character made a dash.
    folder = projects / re.sub(r"[^A-Za-z0-9]", "-", project_dir)
    newest: tuple[float, str] | None = None
    try:
        for entry in os.scandir(folder):
            if entry.name.endswith(".jsonl") and entry.is_file():
                stamp = entry.stat().st_mtime
                if newest is None or stamp > newest[0]:
                    newest = (stamp, entry.name.removesuffix(".jsonl"))
    except OSError:
        return None
    if newest is None or time.time() - newest[0] > within_seconds:
        return None
    return newest[1]
