"""The store's connection: opened briefly for one unit of work, under the writer lock when it writes.

DuckDB lets one process write a file, and while it does no other process can open it, not
even read-only. So nobody keeps a connection: `open_store` retries briefly while another
process holds the lock, and says so with `StoreBusy` when the wait runs out. A writable open
first takes the store-wide writer lock (`store.lock`), which also makes every file the write
creates private, and brings the schema up to date (`store.migrations`). When a writable open
that did a big write (a migration, a large ingest: `Store.reclaim`) ends with free blocks
making up a large share of the file, `reclaim_space` copies the store into a fresh file.

Everything outside this package goes through `Store`'s methods; the DuckDB connection itself
stays here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajectory_miner.store.copy import fresh_copy, put_in_place
from trajectory_miner.store.errors import StoreBusy, StoreError, StoreMissing, StoreOutdated
from trajectory_miner.store.lock import writer_lock
from trajectory_miner.store.migrations import applied, migrate, pending
from trajectory_miner.store.signature_upgrade import refresh_signatures

if TYPE_CHECKING:
    from trajectory_miner.store.rows import TableShape


_READER_GRACE_S = 0.25


_REOPEN_WAIT_S = 5.0


_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file")


class Store:
    """An open connection to the store: every statement goes through these methods.

    The DuckDB connection itself stays inside `trajectory_miner.store`.
    """

    def __init__(self, con: Any, path: Path, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self.shapes: dict[str, TableShape] = {}
        self.shapes_as_of = -1
        self.reclaim = False
        """Set by work that rewrote much of the store: free blocks are given back when it closes."""

    def __repr__(self) -> str:
        return f"Store(path={self.path!r}, read_only={self.read_only})"

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement whose rows, if any, nobody reads."""
        self._con.execute(sql, params or [])

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a statement and return all rows (a write's row count, for INSERT, DELETE and COPY)."""
        rows: list[tuple[Any, ...]] = self._con.execute(sql, params or []).fetchall()
        return rows

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a statement and return the first column of the first row."""
        row = self._con.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def batches(
        self, sql: str, params: Sequence[Any] | None = None, size: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Run a query and yield its rows `size` at a time, so a large result is never held whole."""
        cursor = self._con.execute(sql, params or [])
        while rows := cursor.fetchmany(size):
            yield rows

    def columns(self, table: str) -> list[str]:
        """The columns of a table or view, in order."""
        return [r[0] for r in self.query(f"DESCRIBE {table}")]

    @contextmanager
    def text_functions(self, functions: Mapping[str, Callable[[str], str]]) -> Iterator[None]:
        """SQL functions from text to text, written in Python, that statements can call inside the block."""
        import duckdb

        self._settle()
        for name, function in functions.items():
            with suppress(duckdb.Error):  # raised when no function of that name exists
                self._con.remove_function(name)
            self._con.create_function(name, function, ["VARCHAR"], "VARCHAR")
        try:
            yield
        finally:
            self._settle()
            for name in functions:
                with suppress(duckdb.Error):
                    self._con.remove_function(name)

    def _settle(self) -> None:
        # DuckDB 2 refuses to change functions while a result is still open.
        complete = getattr(self._con, "complete", None)
        if complete is not None:
            complete()

    def close(self) -> None:
        """Let go of the file (`open_store` does this itself when its block ends)."""
        self._con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One unit of work: committed when the block ends, rolled back when it raises (or is interrupted)."""
        self._con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        self._con.execute("COMMIT")


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

    store = Store(connect_with_retry(path, read_only, wait_seconds), path=path, read_only=read_only)
    try:
        if not read_only:
            _private(path)
            # Rows a killed writer of an earlier version left on their way in: the store holds them or will again.
            with suppress(OSError):
                rows_file(path).unlink(missing_ok=True)
            store.reclaim = bool(migrate(store._con))
            refresh_signatures(store._con)
        elif pending(store._con):
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
        store._con.close()


def open_as_found(path: Path, wait_seconds: float) -> Store:
    """A read-only look at the store as it is, with no schema check and no upgrade; the caller closes it.

    For diagnosis: a store an earlier or a later version wrote opens all the same.

    Raises:
        StoreBusy: another process held the lock for all of `wait_seconds`.
        StoreError: the file is not a usable DuckDB database.
    """
    return Store(connect_with_retry(path, True, wait_seconds), path=path, read_only=True)


def applied_migrations(store: Store) -> list[str]:
    """The names of the migrations the store has, in the order they were applied."""
    return applied(store._con)


def rewrite_file(path: Path, wait_seconds: float, suffix: str, finish: Callable[[Store], None] | None = None) -> None:
    """Copy the store into a fresh file beside it (`path` + `suffix`) and put that in place.

    The writer lock is held from the copy to the replace, so no write lands in the old file
    after it was copied. `finish` may change the copy, attached as `fresh_copy`, before it
    takes the old file's place.

    Raises:
        StoreBusy: another process held the writer lock for all of `wait_seconds`.
        StoreError: the store cannot be opened or the copy does not match it (the store is left as it was).
    """
    with writer_lock(path, wait_seconds) as held:
        if not held:
            raise StoreBusy(f"the store {path} is in use by another process (it is being written)")
        con = connect_with_retry(path, False, wait_seconds)
        try:
            con.execute("CHECKPOINT")
            fresh = fresh_copy(con, path, suffix, None if finish is None else lambda c: finish(Store(c, path, False)))
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"the store {path} could not be rewritten: {str(exc).splitlines()[0]}") from exc
        finally:
            con.close()
        put_in_place(fresh, path)


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
    into a fresh file that takes its place, and the store is connected to that file from then on.
    Returns whether the file was rewritten.

    Raises:
        StoreError: the copy did not match the store (the store is left as it was).
    """
    if store.read_only:
        return False
    store._con.execute("CHECKPOINT")
    if not _wasteful(store, FREE_SHARE if share is None else share, FREE_BYTES if least is None else least):
        return False
    _rewrite(store)
    return True


def _rewrite(store: Store) -> None:
    fresh = fresh_copy(store._con, store.path, ".compact")
    store._con.close()
    try:
        put_in_place(fresh, store.path)
    finally:
        store.shapes.clear()
        # A reader may have opened the file in the moment it had no connection: wait for it.
        store._con = connect_with_retry(store.path, False, _REOPEN_WAIT_S)


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
    store._con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        store._con.execute(f"SET {name} = '{previous}'")
