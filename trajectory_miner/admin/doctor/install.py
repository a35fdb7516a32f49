"""The doctor's checks of the install: the Python the hooks start, the command on the PATH, the plugin.

Claude Code keeps its settings and plugin folders under its config folder (`$CLAUDE_CONFIG_DIR`,
else `~/.claude`): `settings.json` lists the enabled plugins as `"<plugin>@<marketplace>": true`,
and each installed plugin has a data folder `plugins/data/<id>`, where the plugin's own
environment is set up when no other is found. The hooks start the ingester with the first
Python of `Interpreters` that exists (see `hooks/_hookio.py`). These functions only read.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trajectory_miner import interpreter
from trajectory_miner.admin.doctor.findings import Check

PLUGIN = "trajectory-miner"
MARKER = "env.marker"


def plugin_data_folder(config_dir: Path, prefix: str = sys.prefix) -> Path | None:
    """The plugin's data folder the hooks use, found as they would without `$CLAUDE_PLUGIN_DATA`.

    `$CLAUDE_PLUGIN_DATA` when set; else the folder this Python runs from, when it is a plugin
    environment; else the plugin's data folder that holds a finished environment (the most
    recent when there are several).
    """
    explicit = os.environ.get("CLAUDE_PLUGIN_DATA")
    if explicit:
        return Path(explicit).expanduser()
    data_root = config_dir / "plugins" / "data"
    for candidate in (Path(prefix), Path(prefix).resolve()):
        for parent in candidate.parents:
            if parent.parent == data_root:
                return parent
    finished = [folder for folder in data_root.glob(f"{PLUGIN}-*") if (folder / MARKER).exists()]
    return max(finished, key=lambda folder: (folder / MARKER).stat().st_mtime, default=None)


def check_command(search_path: str | None = None) -> Check:
    """Whether `trajectory-miner` is found on the PATH, and how to make it so when not."""
    found = shutil.which(PLUGIN, path=search_path)
    if found:
        return Check(name="command", level="ok", summary=f"`{PLUGIN}` on the PATH is {found}")
    linked = Path.home() / ".local" / "bin" / PLUGIN
    if linked.exists():
        fix = f'add {linked.parent} to your PATH: export PATH="{linked.parent}:$PATH" (install.sh does it for you)'
    else:
        fix = "run install.sh from the plugin's checkout; inside Claude Code the plugin's own command is used"
    return Check(name="command", level="note", summary=f"`{PLUGIN}` is not on the PATH of this shell", fix=fix)


def _enabled_plugins(settings: Path) -> dict[str, Any]:
    try:
        data = json.loads(settings.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    enabled = data.get("enabledPlugins") if isinstance(data, dict) else None
    return enabled if isinstance(enabled, dict) else {}


def check_plugin(config_dir: Path) -> Check:
    """Whether Claude Code has the plugin registered and enabled in the user's settings."""
    settings = config_dir / "settings.json"
    ours = {key: value for key, value in _enabled_plugins(settings).items() if key.split("@")[0] == PLUGIN}
    on = sorted(key for key, value in ours.items() if value is True)
    if on:
        return Check(name="plugin", level="ok", summary=f"enabled in Claude Code as {', '.join(on)}")
    if ours:
        key = sorted(ours)[0]
        return Check(
            name="plugin",
            level="problem",
            summary=f"registered in Claude Code as {key} but disabled",
            fix=f"claude plugin enable {key}",
        )
    return Check(
        name="plugin",
        level="note",
        summary=f"not registered in {settings}: it loads only where `claude --plugin-dir` names it",
        fix="run install.sh, or `/plugin install` it from its marketplace, to load it in every session",
    )


@dataclass(frozen=True)
class Interpreters:
    """Where the hooks look for the ingester's Python, in their order (see `hooks/_hookio.py`)."""

    explicit: str | None = None
    plugin_data: Path | None = None


def find_interpreter(home: Path, interpreters: Interpreters) -> tuple[Path | None, list[str]]:
    """The interpreter the hooks would start the ingester with, and why others were passed over."""
    data = str(interpreters.plugin_data) if interpreters.plugin_data is not None else None
    python, passed = interpreter.find_interpreter(str(home), interpreters.explicit, data)
    return (Path(python) if python else None), passed


def check_environment(home: Path, interpreters: Interpreters) -> Check:
    """Whether the hooks find a Python that can run the ingester."""
    python, passed = find_interpreter(home, interpreters)
    if python is None:
        why = f" ({'; '.join(passed)})" if passed else ""
        return Check(
            name="environment",
            level="problem",
            summary=f"the hooks find no Python environment, so sessions are only spooled{why}",
            fix="run the plugin's install.sh, or set TRAJECTORY_MINER_PYTHON to a Python that has "
            "trajectory-miner installed",
            details={"passed_over": passed},
        )
    try:
        probe = subprocess.run(
            [str(python), "-I", "-c", "import trajectory_miner"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        failed = probe.returncode != 0
        reason = (probe.stderr.strip().splitlines() or ["exit status " + str(probe.returncode)])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        failed, reason = True, str(exc)
    if failed:
        return Check(
            name="environment",
            level="problem",
            summary=f"{python} cannot import trajectory_miner: {reason}",
            fix="reinstall the plugin's environment (run install.sh again)",
            details={"python": str(python)},
        )
    return Check(name="environment", level="ok", summary=f"the hooks use {python}", details={"python": str(python)})
