"""A store copied into a fresh file and put in place of the old one, durably and checked.

`forget` rewrites the file so forgotten text is gone from disk; `reclaim_space` gives free
blocks back. Both copy every table into a new file, check each table's rows, and replace the
store only when no write-ahead log holds changes the copy has not seen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trajectory_miner.store.errors import StoreError


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
