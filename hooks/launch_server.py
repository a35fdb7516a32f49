"""Start the `miner` MCP server from the plugin's installed Python environment.

`.mcp.json` runs this file with whatever `python3` is on the PATH; it finds the environment's
interpreter as the hooks do (`$TRAJECTORY_MINER_PYTHON`, `$CLAUDE_PLUGIN_DATA/venv`,
`<home>/venv`; see `_hookio`) and replaces itself with `<python> -I -m mcp_server`, so Claude
Code talks to the server directly over stdio. Without an environment it says what to do on
stderr and exits 1. Standard library only.
"""

import os
import sys

import _hookio

NO_ENVIRONMENT = """\
trajectory-miner: no Python environment with the plugin installed was found.
Looked for $TRAJECTORY_MINER_PYTHON, {plugin_venv} and {home_venv}.
{advice}
"""


def advice(plugin_data: "str | None") -> str:
    """What the user can do, depending on whether a background setup is under way."""
    if plugin_data and os.path.exists(os.path.join(plugin_data, "setup.log")):
        log = os.path.join(plugin_data, "setup.log")
        return (
            f"The environment is set up in the background at session start (log: {log}); "
            "run /reload-plugins once it has finished, or run install.sh from the plugin's checkout."
        )
    return "Run install.sh from the plugin's checkout, or start a new session to set it up automatically."


def main() -> int:
    """Exec the MCP server, or explain why it cannot start."""
    home = _hookio.data_home()
    python = _hookio.find_python(home)
    if python is None:
        plugin_data = os.environ.get("CLAUDE_PLUGIN_DATA")
        plugin_venv = os.path.join(plugin_data, "venv") if plugin_data else "$CLAUDE_PLUGIN_DATA/venv"
        sys.stderr.write(
            NO_ENVIRONMENT.format(
                plugin_venv=plugin_venv,
                home_venv=os.path.join(home, "venv"),
                advice=advice(plugin_data),
            )
        )
        return 1
    os.execv(python, [python, "-I", "-m", "mcp_server", *sys.argv[1:]])
    return 1  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
