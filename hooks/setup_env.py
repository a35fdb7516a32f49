"""The plugin's Python environment, set up in the background after a marketplace install.

Claude Code copies a marketplace plugin but installs no Python packages, so the SessionStart
hook (and the MCP launcher) ask `start_if_needed` whether `$CLAUDE_PLUGIN_DATA/venv` must be
(re)built. It must when no environment is found (no `$TRAJECTORY_MINER_PYTHON`, no
`<home>/venv` from `install.sh`) and `$CLAUDE_PLUGIN_DATA/env.marker` does not hold the
`source_digest` of the plugin's code: `pyproject.toml` and every file of the packages, so an
update that changes one module and nothing else is installed too. A failed attempt is noted
in `env.failed` and not retried for an hour with the same code.

Run as a script (`python3 -S setup_env.py <plugin root> <plugin data> <digest>`), it does
the work, detached from the session: under a non-blocking lock on `<plugin data>/setup.lock`
it builds a new environment in `<plugin data>/envs/<digest>`, installs a copy of the plugin
root into it with pip, then points the symbolic link `<plugin data>/venv` at it with one
rename and writes the marker. Until that rename the previous environment, complete, stays in
use: a half-built one is never seen. It then removes environments older than the previous
one and starts the ingester so the events spooled meanwhile are stored. Its output goes to
`<plugin data>/setup.log`. Whatever the umask it inherits, everything it makes is the
user's alone: folders 0700, files 0600 (0700 when executable). Standard library only.
"""

import os
import sys
import time

MARKER = "env.marker"
FAILED = "env.failed"
MIN_PYTHON = (3, 11)
SETUP_RETRY_S = 3600


PACKAGES = ("trajectory_miner", "mcp_server")
EXPECTED_SETUP_S = 45  # a first setup took 20 to 65 s on two busy cores


def _package_files(root: str) -> "list[str]":
    found = []
    for package in PACKAGES:
        for parent, folders, files in os.walk(os.path.join(root, package)):
            folders[:] = sorted(name for name in folders if name != "__pycache__")
            found.extend(os.path.join(parent, name) for name in sorted(files) if not name.endswith(".pyc"))
    return found


def source_digest(root: str) -> str:
    """The SHA-256 of the installed code: `pyproject.toml` and each package file, with its path."""
    import hashlib

    digest = hashlib.sha256()
    for path in [os.path.join(root, "pyproject.toml"), *_package_files(root)]:
        with open(path, "rb") as handle:
            body = handle.read()
        digest.update(f"{os.path.relpath(path, root)}\0{len(body)}\0".encode())
        digest.update(body)
    return digest.hexdigest()


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
    digest = source_digest(root)
    if _read(os.path.join(plugin_data, MARKER)) == digest:
        return None
    failed = os.path.join(plugin_data, FAILED)
    if _read(failed) == digest:
        age = (time.time() if now is None else now) - os.path.getmtime(failed)
        if age < SETUP_RETRY_S:
            return None
    return digest


def start_if_needed(home: str, payload: object, event: str = "SessionStart") -> bool:
    """Start the background setup when `setup_needed` says so; True when it was started.

    SessionStart's extra step; the MCP launcher calls it too, since the two start together.
    """
    import _hookio

    plugin_data = os.environ.get("CLAUDE_PLUGIN_DATA")
    if not plugin_data:
        return False
    root = _hookio.plugin_root()
    digest = setup_needed(home, root, plugin_data)
    if digest is None or setup_running(plugin_data):
        return False
    if sys.version_info < MIN_PYTHON:
        found = sys.version.split()[0]
        _hookio.log_error(home, event, f"python3 is {found}; the plugin needs 3.11 or newer")
        return False
    _hookio.spawn_detached([sys.executable, "-S", os.path.abspath(__file__), root, plugin_data, digest])
    return True


def setup_running(plugin_data: str) -> bool:
    """True while a setup holds `<plugin data>/setup.lock`."""
    import fcntl

    try:
        fd = os.open(os.path.join(plugin_data, "setup.lock"), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock taken here
    return False


def _expected_seconds(log: str) -> int:
    """How long a setup takes here: the last one the log timed, else `EXPECTED_SETUP_S`."""
    marker = "setup done in "
    text = _read(log)
    at = text.rfind(marker)
    if at < 0:
        return EXPECTED_SETUP_S
    number = text[at + len(marker) :].split(" ", 1)[0]
    return int(number) if number.isdigit() else EXPECTED_SETUP_S


def setup_state(plugin_data: "str | None", now: "float | None" = None, just_started: bool = False) -> str:
    """One sentence on the background setup, for a server or command that has no environment yet."""
    if not plugin_data:
        return "No environment with trajectory-miner installed was found: run install.sh from the plugin's checkout."
    log = os.path.join(plugin_data, "setup.log")
    if just_started or setup_running(plugin_data):
        now = time.time() if now is None else now
        try:
            started = os.path.getmtime(os.path.join(plugin_data, "setup.lock")) if not just_started else now
        except OSError:
            started = now
        elapsed = max(0, int(now - started))
        left = max(5, _expected_seconds(log) - elapsed)
        return (
            f"trajectory-miner is setting up its Python environment in the background (started {elapsed} s ago, "
            f"about {left} s left; log: {log}). The tools work once it has finished: "
            "try again then, or from the next session."
        )
    if os.path.exists(os.path.join(plugin_data, FAILED)):
        return f"trajectory-miner could not set up its Python environment: see {log}, or run install.sh."
    return (
        "trajectory-miner has no Python environment yet: it is set up in the background when a session starts, "
        "or run install.sh from the plugin's checkout."
    )


def _ignore_build_litter(folder: str, names: "list[str]") -> "list[str]":
    litter = {".git", "__pycache__", "build", "dist", ".venv"}
    return [name for name in names if name in litter or name.endswith((".egg-info", "_cache"))]


def _install(root: str, venv: str, scratch_parent: str, log: object) -> str:
    import contextlib
    import shutil
    import subprocess
    import tempfile
    import tomllib

    # A broken plugin copy fails here, before a virtual environment is built for nothing.
    with open(os.path.join(root, "pyproject.toml"), "rb") as handle:
        tomllib.load(handle)
    python = os.path.join(venv, "bin", "python")
    shutil.rmtree(venv, ignore_errors=True)  # what an interrupted attempt left
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, stdout=log, stderr=log)
    # pip builds in the source tree; a copy keeps the plugin folder as Claude Code installed it.
    with tempfile.TemporaryDirectory(dir=scratch_parent, prefix="build-") as scratch:
        source = os.path.join(scratch, "src")
        with contextlib.suppress(shutil.Error):  # a file that vanished mid-copy is not part of the build
            shutil.copytree(root, source, ignore=_ignore_build_litter, symlinks=True)
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", source]
        subprocess.run(pip, check=True, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    return python


def _switch(plugin_data: str, target: str) -> str:
    """Point `<plugin data>/venv` at `target` with one rename; the name of the environment it replaced."""
    link = os.path.join(plugin_data, "venv")
    previous = os.path.basename(os.path.realpath(link))
    if os.path.isdir(link) and not os.path.islink(link):
        # A folder an earlier version built in place: kept aside, as a running server may use it.
        previous = f"in-place-{os.getpid()}"
        os.replace(link, os.path.join(plugin_data, "envs", previous))
    temporary = f"{link}.{os.getpid()}.tmp"
    if os.path.lexists(temporary):
        os.unlink(temporary)
    os.symlink(os.path.relpath(target, plugin_data), temporary)
    os.replace(temporary, link)
    return previous


def _remove_old_envs(plugin_data: str, keep: "set[str]") -> None:
    """Remove environments but the current and the previous one, which a running server may still use."""
    import shutil

    envs = os.path.join(plugin_data, "envs")
    for name in os.listdir(envs):
        if name not in keep:
            shutil.rmtree(os.path.join(envs, name), ignore_errors=True)


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
    os.ftruncate(lock, 0)
    os.write(lock, f"{time.time():.0f}".encode("ascii"))  # its mtime says when this setup started
    envs = os.path.join(plugin_data, "envs")
    os.makedirs(envs, mode=0o700, exist_ok=True)
    target = os.path.join(envs, digest[:16])
    with open(log_fd, "a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} setting up {root}\n")
        log.flush()
        started = time.monotonic()
        try:
            _install(root, target, plugin_data, log)
            _make_private(target)
            previous = _switch(plugin_data, target)
        except Exception as exc:
            log.write(f"setup failed: {type(exc).__name__}: {exc}\n")
            _write_atomically(os.path.join(plugin_data, FAILED), digest)
            return 1
        _write_atomically(os.path.join(plugin_data, MARKER), digest)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(plugin_data, FAILED))
        _remove_old_envs(plugin_data, {os.path.basename(target), previous})
        log.write(f"setup done in {time.monotonic() - started:.0f} s\n")
    os.close(lock)
    home = _hookio.data_home()
    if os.path.isdir(home):
        _hookio.start_ingester(home, "setup")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
