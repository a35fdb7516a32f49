"""Spool catch-up: a command or an MCP call that finds hook events not yet stored gets them stored.

The hooks start the background ingester, but one that found the store busy leaves its lines
for later, and no hook may fire again for a while. So the read commands of the CLI call
`catch_up` before they read: when the spool holds events and no ingester runs, a small backlog
(the transcripts it names hold at most `INLINE_BYTES`) is drained right there, in one round
that waits at most `STORE_WAIT_S` for the store; a larger one is handed to a background
ingester, and the command reads what is stored already. The MCP server, which never opens the
store itself, calls `start_ingester` (at most once every `MCP_CHECK_S` seconds).

Starting an ingester follows the hooks' protocol (see `hooks/_hookio.py`): under a
non-blocking flock on `ingest.lock`, write the time into the file so nobody else starts one
for `STARTING_S` seconds; the ingester clears it once it holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from trajectory_miner.capture import spool
from trajectory_miner.paths import Paths
from trajectory_miner.store.lock import writer_busy

INLINE_BYTES = 4_000_000
"""The most transcript bytes a command catches up itself (about a second of ingest)."""
STORE_WAIT_S = 0.5
STARTING_S = 20.0
MCP_CHECK_S = 1.0


def backlog(paths: Paths) -> list[Path]:
    """The transcripts the spool names when it holds events not yet taken over; else none."""
    spool_dir = paths.spool_dir
    rotated = spool.rotated_files(spool_dir) if spool_dir.is_dir() else []
    if not rotated and not spool.has_new_lines(spool_dir):
        return []
    events: list[spool.SpoolEvent] = []
    for path in [*rotated, spool.live_path(spool_dir)]:
        try:
            events.extend(spool.read_rotated(path).events)
        except FileNotFoundError:
            continue
    return spool.transcript_paths(events)


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def ingester_active(paths: Paths) -> bool:
    """True when an ingester holds the ingest lock, or one was started moments ago."""
    try:
        fd = os.open(paths.ingest_lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return _stamp_age(fd) is not None
    finally:
        os.close(fd)


def _stamp_age(fd: int) -> float | None:
    """The age of a starting ingester's stamp, when it is recent."""
    try:
        age = time.time() - float(os.pread(fd, 64, 0).decode("ascii"))
    except (ValueError, OSError):
        return None
    return age if 0 <= age < STARTING_S else None


_started: list[subprocess.Popen[bytes]] = []


def reap(wait_seconds: float = 0.0) -> int:
    """Collect the ingesters this process started that have ended; returns how many still run.

    A long-lived server starts many over its life: each is waited for, so none lingers as a zombie.
    """
    deadline = time.monotonic() + wait_seconds
    for process in list(_started):
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()) if wait_seconds else 0.0)
        except subprocess.TimeoutExpired:
            continue
        _started.remove(process)
    return len(_started)


def start_ingester(paths: Paths) -> bool:
    """Start the background ingester unless one runs or is starting; True when this call started one."""
    paths.home.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(paths.ingest_lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if _stamp_age(fd) is not None:
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{time.time():.3f}".encode("ascii"), 0)
        flags = ["-I"] if sys.flags.isolated else []
        reap()
        _started.append(
            subprocess.Popen(
                [sys.executable, *flags, "-m", "trajectory_miner", "ingest", "--from-spool", "--quiet"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
                env={**os.environ, "TRAJECTORY_MINER_HOME": str(paths.home)},
            )
        )
        return True
    finally:
        os.close(fd)


def catch_up(paths: Paths) -> bool:
    """Store what the spool holds before a command reads; True when this call stored it.

    Never raises: a catch-up that cannot run leaves the spool to the background ingester.
    """
    try:
        if ingester_active(paths) or writer_busy(paths.database):
            return False
        pending = backlog(paths)
        if not pending:
            return False
        if _size(pending) > INLINE_BYTES:
            start_ingester(paths)
            return False
        return _drain(paths)
    except Exception:  # the command's own work comes first; the spool keeps its lines
        return False


def _drain(paths: Paths) -> bool:
    # Loaded here: commands that find no backlog do not pay for the ingest machinery.
    from trajectory_miner.capture import upkeep
    from trajectory_miner.capture.ingester import drain_spool
    from trajectory_miner.config import load_config

    result = drain_spool(
        paths,
        load_config(paths.config_file),
        store_wait=STORE_WAIT_S,
        max_rounds=1,
        settle_seconds=0.0,
        after_ingest=upkeep.after_ingest,
    )
    return not (result.locked_out or result.busy)


class Throttle:
    """Lets an action through at most once every `seconds` (the MCP server's catch-up check)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = float("-inf")

    def ready(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.seconds:
            return False
        self._last = now
        return True


def start_if_behind(paths: Paths) -> bool:
    """For a long-lived reader: start an ingester when the spool holds a backlog and none runs."""
    try:
        if ingester_active(paths) or not backlog(paths):
            return False
        return start_ingester(paths)
    except OSError:
        return False
