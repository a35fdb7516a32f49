"""The plugin's Python environment, set up in the background after a marketplace install.

Claude Code copies a marketplace plugin but installs no Python packages, so the SessionStart
hook asks `start_if_needed` whether `$CLAUDE_PLUGIN_DATA/venv` must be (re)built. It must when
no environment is found (no `$TRAJECTORY_MINER_PYTHON`, no `<home>/venv` from `install.sh`)
and `$CLAUDE_PLUGIN_DATA/env.marker` does not hold the SHA-256 of the bundled
`pyproject.toml` — so the work runs once per plugin version. A failed attempt is noted in
`env.failed` and not retried for an hour with the same `pyproject.toml`.

Run as a script (`python3 -S setup_env.py <plugin root> <plugin data> <digest>`), it does
the work, detached from the session: under a non-blocking lock on `<plugin data>/setup.lock`
it runs `python3 -m venv <plugin data>/venv`, installs a copy of the plugin root into it with
pip, writes the marker, and starts the ingester so the events spooled meanwhile are stored.
Its output goes to `<plugin data>/setup.log`. Whatever the umask it inherits, everything it
makes is the user's alone: folders 0700, files 0600 (0700 when executable). Standard library only.
"""

import os
import sys
import time

MARKER = "env.marker"
FAILED = "env.failed"
MIN_PYTHON = (3, 11)
SETUP_RETRY_S = 3600


def pyproject_digest(root: str) -> str:
    """The SHA-256 of the plugin's `pyproject.toml`."""
    import hashlib

    with open(os.path.join(root, "pyproject.toml"), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def setup_needed(home: str, root: str, plugin_data: str, now: "float | None" = None) -> "str | None":
    """The digest to build for, or None when the environment is there or recently failed."""
    import _hookio

    explicit = os.environ.get("TRAJECTORY_MINER_PYTHON")
    if explicit and _hookio._executable(explicit):
        return None
    if _hookio._executable(os.path.join(home, "venv", "bin", "python")):
        return None
    digest = pyproject_digest(root)
    if _read(os.path.join(plugin_data, MARKER)) == digest:
        return None
    failed = os.path.join(plugin_data, FAILED)
    if _read(failed) == digest:
        age = (time.time() if now is None else now) - os.path.getmtime(failed)
        if age < SETUP_RETRY_S:
            return None
    return digest


def start_if_needed(home: str, payload: object) -> None:
    """SessionStart's extra step: start the background setup when `setup_needed` says so."""
    import _hookio

    plugin_data = os.environ.get("CLAUDE_PLUGIN_DATA")
    if not plugin_data:
        return
    root = _hookio.plugin_root()
    digest = setup_needed(home, root, plugin_data)
    if digest is None:
        return
    if sys.version_info < MIN_PYTHON:
        found = sys.version.split()[0]
        _hookio.log_error(home, "SessionStart", f"python3 is {found}; the plugin needs 3.11 or newer")
        return
    _hookio.spawn_detached([sys.executable, "-S", os.path.abspath(__file__), root, plugin_data, digest])


def _ignore_build_litter(folder: str, names: "list[str]") -> "list[str]":
    litter = {".git", "__pycache__", "build", "dist", ".venv"}
    return [name for name in names if name in litter or name.endswith((".egg-info", "_cache"))]


def _install(root: str, plugin_data: str, log: object) -> str:
    import contextlib
    import shutil
    import subprocess
    import tempfile
    import tomllib

    # A broken plugin copy fails here, before a virtual environment is built for nothing.
    with open(os.path.join(root, "pyproject.toml"), "rb") as handle:
        tomllib.load(handle)
    venv = os.path.join(plugin_data, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.access(python, os.X_OK):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=log, stderr=log)
    # pip builds in the source tree; a copy keeps the plugin folder as Claude Code installed it.
    with tempfile.TemporaryDirectory(dir=plugin_data, prefix="build-") as scratch:
        source = os.path.join(scratch, "src")
        with contextlib.suppress(shutil.Error):  # a file that vanished mid-copy is not part of the build
            shutil.copytree(root, source, ignore=_ignore_build_litter, symlinks=True)
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", source]
        subprocess.run(pip, check=True, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    return python


def _make_private(folder: str) -> None:
    """Take every group and other bit off `folder` and what it holds.

    pip sets the modes of some files itself (libraries 0711 or 0644), whatever the umask; and
    an environment an earlier version built may be open to others.
    """
    import stat

    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = os.path.join(parent, name)
            try:
                mode = os.lstat(path).st_mode
                if not stat.S_ISLNK(mode) and mode & 0o077:
                    os.chmod(path, stat.S_IMODE(mode) & 0o700)
            except OSError:
                continue
    os.chmod(folder, 0o700)


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
    os.replace(temporary, path)


def main(argv: "list[str]") -> int:
    """Build the environment for `digest` unless another setup runs or it is already there."""
    import contextlib
    import fcntl

    import _hookio

    root, plugin_data, digest = argv
    # Inherited by venv and pip too: the environment, its packages and the log stay private.
    os.umask(0o077)
    os.makedirs(plugin_data, mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):  # a folder Claude Code made before us
        os.chmod(plugin_data, 0o700)
    lock = os.open(os.path.join(plugin_data, "setup.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0
    if _read(os.path.join(plugin_data, MARKER)) == digest:
        return 0
    log_fd = os.open(os.path.join(plugin_data, "setup.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with contextlib.suppress(OSError):  # a log left by an earlier version may be open to others
        os.fchmod(log_fd, 0o600)
    with open(log_fd, "a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} setting up {root}\n")
        log.flush()
        try:
            _install(root, plugin_data, log)
            _make_private(os.path.join(plugin_data, "venv"))
        except Exception as exc:
            log.write(f"setup failed: {type(exc).__name__}: {exc}\n")
            _write_atomically(os.path.join(plugin_data, FAILED), digest)
            return 1
        _write_atomically(os.path.join(plugin_data, MARKER), digest)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(plugin_data, FAILED))
        log.write("setup done\n")
    os.close(lock)
    home = _hookio.data_home()
    if os.path.isdir(home):
        _hookio.start_ingester(home, "setup")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
