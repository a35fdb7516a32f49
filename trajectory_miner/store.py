"""The DuckDB store: open briefly, work, close.

DuckDB lets one process write a file, and while it does no other process can open it, not
even read-only. So nobody keeps a connection: `open_store` retries briefly while another
process holds the lock, and says so with `StoreBusy` when the wait runs out. A writable open
first takes the store-wide writer lock (`trajectory_miner.writer_lock`), which also makes
every file the write creates private.

Writes of many rows go through `insert_rows`, which hands Python values to DuckDB's appender.
The per-step tables have no primary key (an index on them took an eighth of the file and most
of each insert's time); the writer keeps their rows unique by the columns `WRITER_KEYS` names.
When a writable open that did a big write (a migration, a large ingest: `Store.reclaim`) ends
with free blocks making up a large share of the file, `reclaim_space` copies the store into a
fresh file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from trajectory_miner.migrations import WRITER_KEYS, migrate, pending, schema_changes
from trajectory_miner.signature_upgrade import refresh_signatures
from trajectory_miner.writer_lock import writer_lock

_READER_GRACE_S = 0.25
_REOPEN_WAIT_S = 5.0
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file")


class StoreError(RuntimeError):
    """The database cannot be used (corrupt, unreadable, or from a newer version)."""


class StoreBusy(StoreError):
    """Another process holds the database lock."""


class StoreMissing(StoreError):
    """There is no database yet."""


class StoreOutdated(StoreError):
    """The database has migrations to apply, and this process could not apply them."""


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


def _connect(path: Path, read_only: bool) -> Any:
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


def _private(path: Path) -> None:
    """Make the database and its write-ahead log readable by the user alone."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def insert_rows(
    store: Store,
    table: str,
    rows: Sequence[Sequence[Any]],
    on_conflict: str = "",
    keys: Sequence[tuple[Any, ...]] | None = None,
) -> None:
    """Insert many rows into `table`, each a sequence of values in the table's column order.

    A row whose key is there already replaces it, unless `on_conflict` (an ON CONFLICT clause
    over the table's enforced key) says otherwise. The key is the table's primary key, or for
    the tables in `WRITER_KEYS` the columns named there: the old rows of those keys are deleted
    in the same statement sequence, so call this inside a transaction to make the swap atomic.
    Of rows given together with one key, the last one is kept. Rows go through DuckDB's
    appender, which takes Python values with no file or text in between; the table's columns
    and key are read once per connection (and again after a migration). Text that is not valid
    Unicode (a lone surrogate from a file name) is stored with that character escaped, as `\\udcff`.
    A caller that holds the rows by key already passes `keys` (one per row, in the key's column
    order, all different), which spares finding them again.
    """
    if not rows:
        return
    # An appender refuses a connection with a result still unread (a `scalar` leaves one).
    store.con.complete()
    shape = _shape(store, table)
    if on_conflict:
        _insert_on_conflict(store, shape, rows, on_conflict)
    elif not shape.key:
        _append(store.con.appender(table), rows)
    else:
        if keys is None:
            rows = _last_per_key(rows, shape.key_positions)
        if shape.keyed:
            _append(store.con.appender(table, action="upsert"), rows)
        else:
            keys = _keys_of(rows, shape.key_positions) if keys is None else keys
            _append(store.con.appender(table, action="delete", key=list(shape.key)), keys)
            _append(store.con.appender(table), rows)


@dataclass(frozen=True)
class TableShape:
    """What `insert_rows` needs to know of a table, read once per connection."""

    name: str
    columns: tuple[str, ...]
    keyed: bool
    """DuckDB enforces the key (a primary key); otherwise the writer keeps it."""
    key: tuple[str, ...]
    """The columns a row is replaced by (empty: rows are only added)."""

    @property
    def key_positions(self) -> tuple[int, ...]:
        return tuple(self.columns.index(column) for column in self.key)


def _shape(store: Store, table: str) -> TableShape:
    if store.shapes_as_of != schema_changes():
        store.shapes.clear()
        store.shapes_as_of = schema_changes()
    shape = store.shapes.get(table)
    if shape is None:
        columns = store.query(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = current_schema() AND table_name = ? ORDER BY column_index",
            [table],
        )
        primary = store.query(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE database_name = current_database() "
            "AND schema_name = current_schema() AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [table],
        )
        shape = TableShape(
            name=table,
            columns=tuple(row[0] for row in columns),
            keyed=bool(primary),
            key=tuple(primary[0][0]) if primary else WRITER_KEYS.get(table, ()),
        )
        store.shapes[table] = shape
    return shape


def _insert_on_conflict(store: Store, shape: TableShape, rows: Sequence[Sequence[Any]], on_conflict: str) -> None:
    """Rows staged in a temporary table, then moved with the caller's ON CONFLICT clause."""
    staging = f"_staged_{shape.name}"
    store.con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT * FROM {shape.name} LIMIT 0")
    try:
        _append(store.con.appender(staging), rows)
        store.con.execute(f"INSERT INTO {shape.name} SELECT * FROM {staging} {on_conflict}")
    finally:
        store.con.execute(f"DELETE FROM {staging}")


def _append(appender: Any, rows: Sequence[Sequence[Any]]) -> None:
    try:
        appender.append_rows(rows)
    except duckdb.InvalidInputException:
        # DuckDB takes only valid UTF-8; the rare batch with a lone surrogate goes in escaped.
        appender.clear()
        appender.append_rows([[_escaped(value) for value in row] for row in rows])
    appender.flush()


def _last_per_key(rows: Sequence[Sequence[Any]], positions: Sequence[int]) -> Sequence[Sequence[Any]]:
    """The rows with one per key, the last one given, as a replacing insert would leave them."""
    latest = {tuple(row[i] for i in positions): row for row in rows}
    return rows if len(latest) == len(rows) else list(latest.values())


def _keys_of(rows: Sequence[Sequence[Any]], positions: Sequence[int]) -> list[tuple[Any, ...]]:
    return [tuple(row[i] for i in positions) for row in rows]


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def rows_file(path: Path) -> Path:
    """Where rows wait on their way into the store at `path`: beside it, as private as it."""
    return path.with_name(path.name + ".rows.ndjson")


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


def fresh_copy(con: Any, path: Path, suffix: str, finish: Callable[[Any], None] | None = None) -> Path:
    """Every table of the store open on `con` copied into a new file beside it (`path` + `suffix`).

    Each table's row count is checked; `finish` may then change the copy, attached as
    `fresh_copy`, before it is detached. The caller holds the writer lock and puts the copy in
    place with `put_in_place`.

    Raises:
        StoreError: a table of the copy does not hold the store's rows (the copy is removed).
    """
    fresh = path.with_name(path.name + suffix)
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    name = con.execute("SELECT current_database()").fetchone()[0]
    quoted = str(fresh).replace("'", "''")
    try:
        con.execute(f"ATTACH '{quoted}' AS fresh_copy")
        try:
            con.execute(f'COPY FROM DATABASE "{name}" TO fresh_copy')
            check_copy(con, name)
            if finish is not None:
                finish(con)
        finally:
            con.execute("DETACH fresh_copy")
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return fresh


def check_copy(con: Any, name: str) -> None:
    """Raise StoreError unless every table of `fresh_copy` has the rows of the store's."""
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary ORDER BY table_name", [name]
    ).fetchall()
    for (table,) in tables:
        before = con.execute(f'SELECT count(*) FROM "{name}"."{table}"').fetchone()[0]
        after = con.execute(f'SELECT count(*) FROM fresh_copy."{table}"').fetchone()[0]
        if before != after:
            raise StoreError(f"the copy of table {table} has {after} rows, not {before}; the store was left as it was")


def put_in_place(fresh: Path, path: Path) -> None:
    """The copy `fresh` in place of the store at `path`, durably; none if the store kept a log.

    A write-ahead log left beside the store holds changes the copy has not seen.
    """
    try:
        if path.with_name(path.name + ".wal").exists():
            raise StoreError(f"the store {path} kept a write-ahead log; it was left as it was")
        _replace(fresh, path)
    finally:
        fresh.unlink(missing_ok=True)


def _replace(fresh: Path, path: Path) -> None:
    """Put `fresh` in place of `path`, durably: its bytes, then the folder entry."""
    os.chmod(fresh, 0o600)
    fd = os.open(fresh, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(fresh, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


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
