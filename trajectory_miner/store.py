"""The DuckDB store: open briefly, work, close.

DuckDB lets one process write a file, and while it does no other process can open it, not
even read-only. So nobody keeps a connection: `open_store` retries briefly while another
process holds the lock, and says so with `StoreBusy` when the wait runs out. A writable open
first takes the store-wide writer lock (`trajectory_miner.writer_lock`), which also makes
every file the write creates private.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import orjson

from trajectory_miner.migrations import migrate, pending
from trajectory_miner.signature_upgrade import refresh_signatures
from trajectory_miner.writer_lock import writer_lock

_READER_GRACE_S = 0.25
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock", "lock on file")


class StoreError(RuntimeError):
    """The database cannot be used (corrupt, unreadable, or from a newer version)."""


class StoreBusy(StoreError):
    """Another process holds the database lock."""


class StoreMissing(StoreError):
    """There is no database yet."""


@dataclass
class Store:
    """An open connection to the store."""

    con: Any
    path: Path
    read_only: bool

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

    Raises:
        StoreMissing: read-only open of a database that does not exist yet.
        StoreBusy: another process held the lock for all of `wait_seconds`.
        StoreError: the file is not a usable DuckDB database.
    """
    if read_only and not path.exists():
        raise StoreMissing(f"no store at {path} yet: run `trajectory-miner ingest` first")
    if read_only:
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
    con = connect_with_retry(path, read_only, wait_seconds)
    try:
        if not read_only:
            _private(path)
            # Rows a killed writer left on their way in: the store holds them or will again.
            with suppress(OSError):
                rows_file(path).unlink(missing_ok=True)
            migrate(con)
            refresh_signatures(con)
        elif pending(con):
            raise StoreError(f"the store {path} needs an upgrade: run `trajectory-miner ingest` once")
        yield Store(con=con, path=path, read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(f"the store {path} failed: {str(exc).splitlines()[0]}") from exc
    finally:
        con.close()


def _private(path: Path) -> None:
    """Make the database and its write-ahead log readable by the user alone."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def insert_rows(store: Store, table: str, rows: Sequence[Sequence[Any]], on_conflict: str = "") -> None:
    """Insert many rows into `table` with one statement, in the table's column order.

    A row whose key is there already replaces it, unless `on_conflict` (an ON CONFLICT clause)
    says otherwise. DuckDB is slow taking rows one by one and slower still taking Python lists,
    so the rows go through a JSON file beside the store that its own reader loads.
    """
    if not rows:
        return
    types = _column_types(store, table)
    keys = [f"c{i}" for i in range(len(types))]
    path = rows_file(store.path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            longest = _write_json_lines(handle, keys, rows, [i for i, kind in enumerate(types) if kind == "DOUBLE"])
    except OSError as exc:
        raise StoreError(f"cannot write rows beside the store, at {path}: {exc.strerror or exc}") from exc
    try:
        columns = ", ".join(f"{key}: '{kind}'" for key, kind in zip(keys, types, strict=True))
        source = str(path).replace("'", "''")
        head = f"INSERT INTO {table}" if on_conflict else f"INSERT OR REPLACE INTO {table}"
        store.con.execute(
            f"{head} SELECT * FROM read_json('{source}', format = 'newline_delimited', columns = {{{columns}}},"
            f" maximum_object_size = {longest + 1}) {on_conflict}"
        )
    finally:
        with suppress(OSError):
            path.unlink(missing_ok=True)


def _write_json_lines(
    handle: BinaryIO, keys: Sequence[str], rows: Sequence[Sequence[Any]], doubles: Sequence[int]
) -> int:
    """Write one JSON object per row, keyed by `keys`; returns the length of the longest line."""
    longest = 0
    for row in rows:
        if any(isinstance(row[i], float) and not math.isfinite(row[i]) for i in doubles):
            # JSON has no NaN or infinity; DuckDB reads them from text, orjson would write null.
            row = [_json_safe(value) for value in row]
        try:
            line = orjson.dumps(dict(zip(keys, row, strict=True)), option=orjson.OPT_APPEND_NEWLINE)
        except orjson.JSONEncodeError:
            # Text that is not valid Unicode (a lone surrogate from a file name) is kept escaped.
            line = orjson.dumps(dict(zip(keys, map(_json_safe, row), strict=True)), option=orjson.OPT_APPEND_NEWLINE)
        handle.write(line)
        longest = max(longest, len(line))
    return longest


def _column_types(store: Store, table: str) -> list[str]:
    rows = store.query(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
        " ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in rows]


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def rows_file(path: Path) -> Path:
    """Where rows wait on their way into the store at `path`: beside it, as private as it."""
    return path.with_name(path.name + ".rows.ndjson")


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
