"""The store's connection: opened briefly for one unit of work, under the writer lock when it writes.

DuckDB lets one process write a file, and while it does no other process can open it, not
even read-only. So nobody keeps a connection: `open_store` retries briefly while another
process holds the lock, and says so with `StoreBusy` when the wait runs out. A writable open
first takes the store-wide writer lock (`store.lock`), which also makes every file the write
creates private, and brings the schema up to date (`store.migrations`). When a writable open
that did a big write (a migration, a large ingest: `Store.reclaim`) ends with free blocks
making up a large share of the file, `reclaim_space` copies the store into a fresh file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajectory_miner.store.copy import fresh_copy, put_in_place
from trajectory_miner.store.errors import StoreBusy, StoreError, StoreMissing, StoreOutdated
from trajectory_miner.store.lock import writer_lock
from trajectory_miner.store.migrations import migrate, pending
from trajectory_miner.store.signature_upgrade import refresh_signatures

if TYPE_CHECKING:
    from trajectory_miner.store.rows import TableShape


_READER_GRACE_S = 0.25


_REOPEN_WAIT_S = 5.0


_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file")


@dataclass
class Store:
    """An open connection to the store."""

    con: Any
    path: Path
    read_only: bool
    shapes: dict[str, TableShape] = field(default_factory=dict, repr=False, compare=False)
    shapes_as_of: int = field(default=-1, repr=False, compare=False)
    reclaim: bool = field(default=False, repr=False, compare=False)
    """Set by work that rewrote much of the store: free blocks are given back when it closes."""

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a statement and return all rows."""
        rows: list[tuple[Any, ...]] = self.con.execute(sql, params or []).fetchall()
        return rows

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run a statement and return the first column of the first row."""
        row = self.con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One unit of work: committed when the block ends, rolled back when it raises (or is interrupted)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


def _connect(path: Path, read_only: bool) -> Any:
    import duckdb  # loaded by the first process that opens a store: the MCP server never does

    try:
        con = duckdb.connect(str(path), read_only=read_only)
        # No progress bar: it would draw on stdout, which is the MCP server's protocol channel.
        con.execute("SET enable_progress_bar = false")
        return con
    except duckdb.Error as exc:
        message = str(exc)
        if any(marker in message for marker in _LOCK_MARKERS):
            raise StoreBusy(f"the store {path} is in use by another process") from exc
        raise StoreError(f"the store {path} cannot be opened: {message.splitlines()[0]}") from exc


def connect_with_retry(path: Path, read_only: bool, wait_seconds: float) -> Any:
    """Connect, retrying while another process holds the lock."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.01
    while True:
        try:
            return _connect(path, read_only)
        except StoreBusy:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


@contextmanager
def open_store(path: Path, read_only: bool = False, wait_seconds: float = 5.0) -> Iterator[Store]:
    """Open the store for one unit of work; a writable open brings the schema up to date.

    A read-only open of a store with migrations still to apply applies them first, through a
    writable open (so under the writer lock), then reads.

    Raises:
        StoreMissing: read-only open of a database that does not exist yet.
        StoreBusy: another process held the lock for all of `wait_seconds`.
        StoreOutdated: the schema is out of date and the store cannot be written to bring it up.
        StoreError: the file is not a usable DuckDB database.
    """
    if read_only and not path.exists():
        raise StoreMissing(f"no store at {path} yet: run `trajectory-miner ingest` first")
    if read_only:
        entered = False
        try:
            with _connected(path, True, wait_seconds) as store:
                entered = True
                yield store
            return
        except StoreOutdated:
            if entered:
                raise
        # A store an earlier version wrote is brought up to date once, then read as any other.
        _upgrade(path, wait_seconds)
        with _connected(path, True, wait_seconds) as store:
            yield store
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    started = time.monotonic()
    with writer_lock(path, wait_seconds) as held:
        if not held:
            raise StoreBusy(f"the store {path} is in use by another process (it is being written)")
        # A reader may be finishing a query: give it a moment even when the lock took the wait.
        left = max(_READER_GRACE_S, wait_seconds - (time.monotonic() - started))
        with _connected(path, False, left) as store:
            yield store


@contextmanager
def _connected(path: Path, read_only: bool, wait_seconds: float) -> Iterator[Store]:
    import duckdb

    store = Store(con=connect_with_retry(path, read_only, wait_seconds), path=path, read_only=read_only)
    try:
        if not read_only:
            _private(path)
            # Rows a killed writer of an earlier version left on their way in: the store holds them or will again.
            with suppress(OSError):
                rows_file(path).unlink(missing_ok=True)
            store.reclaim = bool(migrate(store.con))
            refresh_signatures(store.con)
        elif pending(store.con):
            raise StoreOutdated(f"the store {path} needs an upgrade: run `trajectory-miner ingest` once")
        yield store
        if not read_only and store.reclaim:
            # The work is committed by now: a file left larger than it need be fails nothing.
            # Only after big writes: the checkpoint it starts with would make every close wait.
            with suppress(StoreError, duckdb.Error, OSError):
                reclaim_space(store)
    except duckdb.Error as exc:
        raise StoreError(f"the store {path} failed: {str(exc).splitlines()[0]}") from exc
    finally:
        store.con.close()


def _upgrade(path: Path, wait_seconds: float) -> None:
    try:
        with open_store(path, read_only=False, wait_seconds=wait_seconds):
            pass
    except StoreBusy:
        raise
    except (StoreError, OSError) as exc:
        # A home the user cannot write (a read-only mount) cannot be upgraded from here.
        raise StoreOutdated(f"the store {path} needs an upgrade: run `trajectory-miner ingest` once") from exc


def rows_file(path: Path) -> Path:
    """Where rows wait on their way into the store at `path`: beside it, as private as it."""
    return path.with_name(path.name + ".rows.ndjson")


def _private(path: Path) -> None:
    """Make the database and its write-ahead log readable by the user alone."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


FREE_SHARE = 1 / 3
"""Free blocks above this share of the file (and `FREE_BYTES`) are worth a rewrite."""


FREE_BYTES = 32 * 1024 * 1024


def free_space(store: Store) -> tuple[int, int]:
    """The bytes of the database file's free blocks, and of all its blocks."""
    row = store.query(
        "SELECT block_size, total_blocks, free_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    )[0]
    return int(row[0]) * int(row[2]), int(row[0]) * int(row[1])


def _wasteful(store: Store, share: float, least: int) -> bool:
    free, total = free_space(store)
    return free >= least and free >= share * total


def reclaim_space(store: Store, share: float | None = None, least: int | None = None) -> bool:
    """Give the file's free blocks back to the disk when they are a large share of it.

    DuckDB reuses free blocks for later writes but does not shrink the file, so after a
    migration that rebuilt tables, or a load that replaced many rows, the file can be mostly
    holes. Blocks are counted free only once a checkpoint has written the changes out (closing
    the connection would run it anyway); when free blocks then make up `share` of the file and
    at least `least` bytes (by default `FREE_SHARE` and `FREE_BYTES`), the database is copied
    into a fresh file that takes its place, and `store.con` becomes a connection to that file.
    Returns whether the file was rewritten.

    Raises:
        StoreError: the copy did not match the store (the store is left as it was).
    """
    if store.read_only:
        return False
    store.con.execute("CHECKPOINT")
    if not _wasteful(store, FREE_SHARE if share is None else share, FREE_BYTES if least is None else least):
        return False
    _rewrite(store)
    return True


def _rewrite(store: Store) -> None:
    fresh = fresh_copy(store.con, store.path, ".compact")
    store.con.close()
    try:
        put_in_place(fresh, store.path)
    finally:
        store.shapes.clear()
        # A reader may have opened the file in the moment it had no connection: wait for it.
        store.con = connect_with_retry(store.path, False, _REOPEN_WAIT_S)


@contextmanager
def memory_capped(store: Store, limit: str) -> Iterator[None]:
    """DuckDB's memory limit lowered to `limit` (e.g. "128MB") inside the block, then put back.

    DuckDB keeps up to most of the machine's memory in its buffer pool by default; bulk writes
    need little of it, and the process doing them should stay small.
    """
    with _setting(store, "memory_limit", limit):
        yield


@contextmanager
def checkpoints_deferred(store: Store, threshold: str) -> Iterator[None]:
    """Checkpoint only once the write-ahead log reaches `threshold` inside the block.

    DuckDB folds its log into the database file once it passes 16 MB, which during a bulk
    load means at almost every commit; a committed transaction is safe in the log either way.
    """
    with _setting(store, "checkpoint_threshold", threshold):
        yield


@contextmanager
def _setting(store: Store, name: str, value: str) -> Iterator[None]:
    previous = store.scalar(f"SELECT current_setting('{name}')")
    store.con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        store.con.execute(f"SET {name} = '{previous}'")
