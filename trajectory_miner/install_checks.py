"""The doctor's checks of the install: the command on the PATH, the plugin in Claude Code, its data folder.

Claude Code keeps its settings and plugin folders under its config folder (`$CLAUDE_CONFIG_DIR`,
else `~/.claude`): `settings.json` lists the enabled plugins as `"<plugin>@<marketplace>": true`,
and each installed plugin has a data folder `plugins/data/<id>`, where the plugin's own
environment is set up when no other is found. These functions only read.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from trajectory_miner.doctor import Check

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
