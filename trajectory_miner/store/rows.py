"""Many rows written at once: through DuckDB's appender, each table's key kept by the writer where DuckDB does not.

The per-step tables have no primary key (an index on them took an eighth of the file and most
of each insert's time); the writer keeps their rows unique by the columns `WRITER_KEYS` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trajectory_miner.store.connection import Store
from trajectory_miner.store.migrations import WRITER_KEYS, schema_changes


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
    A caller that holds the rows by key already passes `keys` (in the key's column order, all
    different), which spares finding them again: one per row, or only those of the rows that may
    have an old row to replace when the caller knows the others to be new.
    """
    if not rows:
        return
    # An appender refuses a connection with a result still unread (a `scalar` leaves one).
    store._con.complete()
    shape = _shape(store, table)
    if on_conflict:
        _insert_on_conflict(store, shape, rows, on_conflict)
    elif not shape.key:
        _append(store._con.appender(table), rows)
    else:
        if keys is None:
            rows = _last_per_key(rows, shape.key_positions)
        if shape.keyed:
            _append(store._con.appender(table, action="upsert"), rows)
        else:
            keys = _keys_of(rows, shape.key_positions) if keys is None else keys
            if keys:
                _append(store._con.appender(table, action="delete", key=list(shape.key)), keys)
            _append(store._con.appender(table), rows)


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
        # Every table's at once: a write touches several, and each query has a fixed cost.
        store.shapes.update(_read_shapes(store))
        shape = store.shapes.get(table) or TableShape(table, (), False, WRITER_KEYS.get(table, ()))
    return shape


def _read_shapes(store: Store) -> dict[str, TableShape]:
    where = "WHERE database_name = current_database() AND schema_name = current_schema()"
    columns: dict[str, list[str]] = {}
    for table, column in store.query(
        f"SELECT table_name, column_name FROM duckdb_columns() {where} ORDER BY table_name, column_index"
    ):
        columns.setdefault(table, []).append(column)
    primary = {
        table: tuple(names)
        for table, names in store.query(
            f"SELECT table_name, constraint_column_names FROM duckdb_constraints() {where} "
            "AND constraint_type = 'PRIMARY KEY'"
        )
    }
    return {
        table: TableShape(
            name=table,
            columns=tuple(names),
            keyed=table in primary,
            key=primary.get(table) or WRITER_KEYS.get(table, ()),
        )
        for table, names in columns.items()
    }


def _insert_on_conflict(store: Store, shape: TableShape, rows: Sequence[Sequence[Any]], on_conflict: str) -> None:
    """Rows staged in a temporary table, then moved with the caller's ON CONFLICT clause."""
    staging = f"_staged_{shape.name}"
    store._con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} AS SELECT * FROM {shape.name} LIMIT 0")
    try:
        _append(store._con.appender(staging), rows)
        store._con.execute(f"INSERT INTO {shape.name} SELECT * FROM {staging} {on_conflict}")
    finally:
        store._con.execute(f"DELETE FROM {staging}")


def _append(appender: Any, rows: Sequence[Sequence[Any]]) -> None:
    import duckdb

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
