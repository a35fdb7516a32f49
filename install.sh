#!/usr/bin/env bash
# Install trajectory-miner from this checkout.
#
#   ./install.sh                  install the package and register the plugin with Claude Code
#   ./install.sh --dev            the same, editable and with the development tools
#   ./install.sh --no-modify-path install, but only print the line that puts the command on the PATH
#   ./install.sh --uninstall      remove the command, the environment, the PATH line, the plugin
#                                 and its marketplace; keep the data (sessions, skills, config)
#   ./install.sh --uninstall --purge   the same, and remove the data home too
#
# What it does (re-running is safe):
#   1. finds Python 3.11 or newer ($PYTHON, python3.13 ... python3.11, python3);
#   2. makes a virtual environment at <data home>/venv, where the data home is
#      $TRAJECTORY_MINER_HOME, else $CLAUDE_CONFIG_DIR/trajectory-miner, else
#      ~/.claude/trajectory-miner; the hooks and the MCP server find it there;
#   3. installs this checkout into it (pip);
#   4. links ~/.local/bin/trajectory-miner to the environment's program and, when a new
#      login shell would not find it, adds one marked line to your login profile (or, with
#      --no-modify-path, prints the line to add);
#   5. when `claude` is on the PATH, adds this checkout as the local marketplace
#      "trajectory-miner-local" and installs the plugin from it; otherwise prints the
#      `claude --plugin-dir` line that loads it for one session.
set -euo pipefail

MARKETPLACE="trajectory-miner-local"
PLUGIN="trajectory-miner"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
dev=0
modify_path=1
uninstall=0
purge=0
for arg in "$@"; do
    case "$arg" in
        --dev) dev=1 ;;
        --no-modify-path) modify_path=0 ;;
        --uninstall) uninstall=1 ;;
        --purge) purge=1 ;;
        -h | --help)
            sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install.sh: unknown option: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

say() { printf '%s\n' "$*"; }

if [ "$purge" -eq 1 ] && [ "$uninstall" -eq 0 ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi

config_dir="${CLAUDE_CONFIG_DIR:-$HOME/.claude}"
data_home="${TRAJECTORY_MINER_HOME:-$config_dir/trajectory-miner}"
venv="$data_home/venv"
bin_dir="$HOME/.local/bin"
PATH_MARK="# added by trajectory-miner install.sh"

# The file a login shell of the user's shell reads first.
login_profile() {
    case "$(basename "${SHELL:-/bin/sh}")" in
        bash)
            for file in "$HOME/.bash_profile" "$HOME/.bash_login"; do
                [ -f "$file" ] && { printf '%s\n' "$file"; return; }
            done
            ;;
        zsh)
            printf '%s\n' "${ZDOTDIR:-$HOME}/.zprofile"
            return
            ;;
    esac
    printf '%s\n' "$HOME/.profile"
}

# The line that puts the command's folder on the PATH, in the form a profile takes.
path_line() {
    local shown="$bin_dir"
    [ "$bin_dir" = "$HOME/.local/bin" ] && shown='$HOME/.local/bin'
    printf 'case ":$PATH:" in *":%s:"*) ;; *) export PATH="%s:$PATH" ;; esac %s\n' "$shown" "$shown" "$PATH_MARK"
}

# Whether a new login shell, started with nothing inherited but HOME and the user's names, finds the command.
login_shell_finds() {
    local shell="${SHELL:-/bin/sh}"
    [ -x "$shell" ] || shell=/bin/sh
    env -i HOME="$HOME" USER="${USER:-}" LOGNAME="${LOGNAME:-}" SHELL="$shell" ZDOTDIR="${ZDOTDIR:-}" \
        "$shell" -lc 'command -v trajectory-miner' </dev/null >/dev/null 2>&1
}

remove_path_lines() {
    local file
    for file in "$HOME/.profile" "$HOME/.bash_profile" "$HOME/.bash_login" "${ZDOTDIR:-$HOME}/.zprofile"; do
        if [ -f "$file" ] && grep -qF "$PATH_MARK" "$file"; then
            grep -vF "$PATH_MARK" "$file" >"$file.trajectory-miner.tmp" || true
            cat "$file.trajectory-miner.tmp" >"$file"
            rm -f "$file.trajectory-miner.tmp"
            say "Removed the PATH line from $file"
        fi
    done
}

if [ "$uninstall" -eq 1 ]; then
    if command -v claude >/dev/null 2>&1; then
        if claude plugin uninstall "$PLUGIN@$MARKETPLACE" >/dev/null 2>&1; then
            say "Uninstalled the plugin $PLUGIN@$MARKETPLACE from Claude Code"
        fi
        if claude plugin marketplace remove "$MARKETPLACE" >/dev/null 2>&1; then
            say "Removed the marketplace $MARKETPLACE"
        fi
    else
        say "claude is not on the PATH: if you registered the plugin, run"
        say "  claude plugin uninstall $PLUGIN@$MARKETPLACE && claude plugin marketplace remove $MARKETPLACE"
    fi
    if [ -L "$bin_dir/trajectory-miner" ]; then
        rm -f "$bin_dir/trajectory-miner"
        say "Removed $bin_dir/trajectory-miner"
    fi
    remove_path_lines
    if [ "$purge" -eq 1 ]; then
        rm -rf "$data_home"
        say "Removed the data home $data_home"
    else
        rm -rf "$venv"
        say "Removed the environment $venv"
        [ -d "$data_home" ] && say "Kept your data in $data_home (remove it with ./install.sh --uninstall --purge)."
    fi
    exit 0
fi

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
reach_now=""
if login_shell_finds; then
    say "A new login shell finds trajectory-miner."
elif [ "$modify_path" -eq 1 ]; then
    profile="$(login_profile)"
    path_line >>"$profile"
    if login_shell_finds; then
        say "Added $bin_dir to the PATH in $profile."
    else
        say "Added $bin_dir to the PATH in $profile, but a new login shell still does not find trajectory-miner."
    fi
else
    say "$bin_dir is not on the PATH of a new login shell. Add this line to $(login_profile):"
    say "  $(path_line)"
fi
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) reach_now="export PATH=\"$bin_dir:\$PATH\"" ;;
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
if [ -n "$reach_now" ]; then
    say "This shell started before the change: open a new one, or run: $reach_now"
fi
say "Next: $next"
