"""The one store-wide writer lock: every process that writes the store holds it for the whole write.

DuckDB's own file lock lasts only as long as a connection, and some writes span several
connections (`forget` deletes rows, closes, copies the file and replaces it). A write made by
another process between two of those connections would land in a file about to be replaced,
and be lost. So every writer (ingest, the background ingester, CLI writes, MCP writes and
`forget` from its first delete to its replace) takes an exclusive `flock` on `writer.lock`
in the data home first.

The lock is reentrant within a process: a block that holds it may open the store again, or
call code that does, without waiting for itself. While it is held the process umask is 077,
so everything the write creates (DuckDB's write-ahead log, a rewritten store, rows files) is
readable by the user alone whatever umask the process started with.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "writer.lock"
PRIVATE_UMASK = 0o077


@dataclass
class _Held:
    """This process's hold on one lock file."""

    guard: threading.RLock
    fd: int = -1
    depth: int = 0
    umask: int = 0


_table_guard = threading.Lock()
_holds: dict[Path, _Held] = {}


def writer_lock_path(database: Path) -> Path:
    """The lock file of the store at `database`: in its folder, the data home."""
    return database.parent / LOCK_NAME


def _hold_for(path: Path) -> _Held:
    with _table_guard:
        held = _holds.get(path)
        if held is None:
            held = _holds[path] = _Held(guard=threading.RLock())
        return held


def _flock(fd: int, deadline: float) -> bool:
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)


@contextmanager
def writer_lock(database: Path, wait_seconds: float) -> Iterator[bool]:
    """Hold the writer lock of the store at `database` for the block; yields False when it stayed taken.

    Waits up to `wait_seconds` for another process (or another thread) to let go. A block
    that yields False holds nothing and must not write.
    """
    path = writer_lock_path(database).resolve()
    held = _hold_for(path)
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    if not held.guard.acquire(timeout=max(wait_seconds, 0.0)):
        yield False
        return
    try:
        if held.depth == 0 and not _take(held, path, deadline):
            yield False
            return
        held.depth += 1
        try:
            yield True
        finally:
            held.depth -= 1
            if held.depth == 0:
                _release(held)
    finally:
        held.guard.release()


def _take(held: _Held, path: Path, deadline: float) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if not _flock(fd, deadline):
        os.close(fd)
        return False
    held.fd = fd
    held.umask = os.umask(PRIVATE_UMASK)
    return True


def _release(held: _Held) -> None:
    os.umask(held.umask)
    os.close(held.fd)  # closing the descriptor lets go of the lock
    held.fd = -1


def writer_busy(database: Path) -> bool:
    """True when another process holds the writer lock of the store at `database` (a probe, no wait)."""
    path = writer_lock_path(database)
    held = _holds.get(path.resolve())
    if held is not None and held.depth > 0:
        return False  # this process holds it
    return held_elsewhere(path)


def held_elsewhere(lock: Path) -> bool:
    """True when another process holds the lock file `lock` (a probe that never waits)."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
