#!/usr/bin/env bash
# Install trajectory-miner from this checkout.
#
#   ./install.sh         install the package and register the plugin with Claude Code
#   ./install.sh --dev   the same, editable and with the development tools
#
# What it does (re-running is safe):
#   1. finds Python 3.11 or newer ($PYTHON, python3.13 ... python3.11, python3);
#   2. makes a virtual environment at <data home>/venv, where the data home is
#      $TRAJECTORY_MINER_HOME, else $CLAUDE_CONFIG_DIR/trajectory-miner, else
#      ~/.claude/trajectory-miner; the hooks and the MCP server find it there;
#   3. installs this checkout into it (pip);
#   4. links ~/.local/bin/trajectory-miner to the environment's program;
#   5. when `claude` is on the PATH, adds this checkout as the local marketplace
#      "trajectory-miner-local" and installs the plugin from it; otherwise prints the
#      `claude --plugin-dir` line that loads it for one session.
set -euo pipefail

MARKETPLACE="trajectory-miner-local"
PLUGIN="trajectory-miner"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
dev=0
for arg in "$@"; do
    case "$arg" in
        --dev) dev=1 ;;
        -h | --help)
            sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install.sh: unknown option: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

say() { printf '%s\n' "$*"; }

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

python="$(find_python)" || {
    echo "install.sh: trajectory-miner needs Python 3.11 or newer; none was found on the PATH." >&2
    echo "Install one, or name it with PYTHON=/path/to/python3.11 ./install.sh" >&2
    exit 1
}

config_dir="${CLAUDE_CONFIG_DIR:-$HOME/.claude}"
data_home="${TRAJECTORY_MINER_HOME:-$config_dir/trajectory-miner}"
venv="$data_home/venv"
bin_dir="$HOME/.local/bin"

mkdir -p "$data_home"
chmod 700 "$data_home"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "Creating the environment $venv with $("$python" -c 'import sys; print(sys.version.split()[0])')"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

say "Installing trajectory-miner from $repo"
if [ "$dev" -eq 1 ]; then
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --editable "$repo[dev]"
else
    # pip builds in the source tree; a copy keeps the checkout free of build output.
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    "$python" - "$repo" "$scratch/src" <<'COPY'
import shutil
import sys

litter = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".venv")
try:
    shutil.copytree(sys.argv[1], sys.argv[2], ignore=litter, symlinks=True)
except shutil.Error:
    pass  # a file that vanished mid-copy (a tool's cache being rewritten) is not part of the build
COPY
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade "$scratch/src"
fi
"$venv/bin/trajectory-miner" --help >/dev/null

mkdir -p "$bin_dir"
ln -sfn "$venv/bin/trajectory-miner" "$bin_dir/trajectory-miner"
say "Linked $bin_dir/trajectory-miner -> $venv/bin/trajectory-miner"
case ":$PATH:" in
    *":$bin_dir:"*) say "$bin_dir is on your PATH." ;;
    *) say "$bin_dir is not on your PATH: add it, or run $bin_dir/trajectory-miner directly." ;;
esac

if command -v claude >/dev/null 2>&1; then
    say "Registering the plugin with Claude Code"
    claude plugin marketplace add "$repo"
    claude plugin install "$PLUGIN@$MARKETPLACE"
    next="claude"
    say "The plugin is installed; it loads in every new Claude Code session."
else
    next="claude --plugin-dir $repo"
    say "claude is not on the PATH, so the plugin was not registered."
    say "Load it for one session with: $next"
fi

say ""
say "Next: $next"
