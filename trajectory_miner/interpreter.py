"""Which Python the hooks start the ingester and the MCP server with: one rule for the hooks and `doctor`.

The first of: `$TRAJECTORY_MINER_PYTHON` when it names an executable; the plugin's own
environment in its data folder once its setup finished (it leaves `env.marker`); the
environment `install.sh` makes in the data home. The hooks load this module from the plugin's
folder under `python3 -S`, so it uses the standard library alone, loads in a millisecond and
keeps to syntax older interpreters read.
"""

import os

MARKER = "env.marker"
FAILED = "env.failed"


def executable(path: str) -> bool:
    """Whether `path` is a file this user may run."""
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_interpreter(home: str, explicit: "str | None", plugin_data: "str | None") -> "tuple[str | None, list[str]]":
    """The interpreter to start, or None, and why each earlier candidate was passed over."""
    passed: list[str] = []
    if explicit:
        if executable(explicit):
            return explicit, passed
        passed.append(f"TRAJECTORY_MINER_PYTHON={explicit} is not an executable")
    if plugin_data:
        candidate = os.path.join(plugin_data, "venv", "bin", "python")
        if executable(candidate) and os.path.exists(os.path.join(plugin_data, MARKER)):
            return candidate, passed
        if os.path.exists(os.path.join(plugin_data, FAILED)):
            passed.append(f"the plugin's setup failed: see {os.path.join(plugin_data, 'setup.log')}")
        elif executable(candidate):
            passed.append(f"the plugin's environment in {plugin_data} is still being set up")
    candidate = os.path.join(home, "venv", "bin", "python")
    return (candidate if executable(candidate) else None), passed
