"""What the bulk writer knows of each table: read for every table at once, as one table alone would give it."""

from __future__ import annotations

from pathlib import Path

from trajectory_miner.store import Store, open_store
from trajectory_miner.store.migrations import WRITER_KEYS
from trajectory_miner.store.rows import TableShape, _read_shapes, _shape


def _alone(store: Store, table: str) -> TableShape:
    where = "WHERE database_name = current_database() AND schema_name = current_schema() AND table_name = ?"
    columns = store.query(f"SELECT column_name FROM duckdb_columns() {where} ORDER BY column_index", [table])
    primary = store.query(
        f"SELECT constraint_column_names FROM duckdb_constraints() {where} AND constraint_type = 'PRIMARY KEY'",
        [table],
    )
    return TableShape(
        name=table,
        columns=tuple(row[0] for row in columns),
        keyed=bool(primary),
        key=tuple(primary[0][0]) if primary else WRITER_KEYS.get(table, ()),
    )


def test_every_table_s_shape_read_at_once_is_the_one_read_alone(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        shapes = _read_shapes(store)

        tables = [
            r[0] for r in store.query("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()")
        ]
        assert sorted(shapes) == sorted(tables) and {"sessions", "steps", "files"} <= set(shapes)
        for table in tables:
            assert shapes[table] == _alone(store, table)
        assert _shape(store, "no_such_table") == TableShape("no_such_table", (), False, ())
