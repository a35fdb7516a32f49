"""`insert_rows`: what goes in comes back, keys replace, and the writer's keys stand in for DuckDB's."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajectory_miner.store import Store, insert_rows, open_store
from trajectory_miner.store.migrations import MIGRATIONS, WRITER_KEYS, migrate

COLUMNS = "k VARCHAR, x DOUBLE, ts TIMESTAMP, tags VARCHAR[], n BIGINT, flag BOOLEAN, body VARCHAR"
ODD = ["\udcff", "\ud800", "\x00", "\u2028", "\\", '"', "'", "\U0001f600", "é"]

text = st.lists(st.one_of(st.characters(), st.sampled_from(ODD)), max_size=12).map("".join)
row = st.tuples(
    st.sampled_from(["a", "b", "c", "b\udcff"]),
    st.none() | st.floats(allow_nan=True, allow_infinity=True),
    st.none() | st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.none() | st.lists(st.none() | text, max_size=4),
    st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.none() | st.booleans(),
    text,
)
batches = st.lists(st.lists(row, min_size=1, max_size=8), min_size=1, max_size=3)


def escaped(value: Any) -> Any:
    """A value as the store gives it back: text that is not valid Unicode comes back escaped."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [escaped(item) for item in value]
    return value


def comparable(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in r) for r in rows]


def expected(batches: list[list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """Each key's last row, as a replacing insert leaves the table."""
    latest: dict[str, tuple[Any, ...]] = {}
    for batch in batches:
        for r in batch:
            latest[escaped(r[0])] = tuple(escaped(v) for v in r)
    return [latest[k] for k in sorted(latest)]


def memory_store(ddl: str) -> Store:
    con = duckdb.connect()
    con.execute(ddl)
    return Store(con=con, path=Path("unused.duckdb"), read_only=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches)
def test_rows_come_back_exactly_whichever_way_the_key_is_kept(batches: list[list[tuple[Any, ...]]]) -> None:
    keyed = memory_store(f"CREATE TABLE t ({COLUMNS}, PRIMARY KEY (k))")
    unkeyed = memory_store(f"CREATE TABLE t ({COLUMNS})")
    merged = memory_store(f"CREATE TABLE t ({COLUMNS}, PRIMARY KEY (k))")
    every_column = ", ".join(f"{c} = excluded.{c}" for c in ("x", "ts", "tags", "n", "flag", "body"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(WRITER_KEYS, "t", ("k",))
        for batch in batches:
            insert_rows(keyed, "t", batch)
            # One statement cannot update a row twice: a conflict clause gets one row per key.
            insert_rows(
                merged, "t", list({r[0]: r for r in batch}.values()), f"ON CONFLICT (k) DO UPDATE SET {every_column}"
            )
            unkeyed.execute("BEGIN TRANSACTION")
            insert_rows(unkeyed, "t", batch)
            unkeyed.execute("COMMIT")
    want = comparable(expected(batches))
    for store in (keyed, unkeyed, merged):
        assert comparable(store.query("SELECT * FROM t ORDER BY k")) == want


def test_the_per_step_tables_have_no_primary_key_and_rows_still_replace_by_the_writers_key(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        keyed = {
            r[0]
            for r in store.query("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'")
        }
        assert keyed.isdisjoint(WRITER_KEYS)
        assert {"sessions", "files", "scores"} <= keyed
        insert_rows(store, "dimension_scores", [("s1", "speed", 0.1), ("s1", "focus", 0.2), ("s2", "speed", 0.3)])
        insert_rows(store, "dimension_scores", [("s1", "speed", 0.5), ("s1", "speed", 0.6), ("s3", "speed", 0.7)])
        assert store.query("SELECT * FROM dimension_scores ORDER BY ALL") == [
            ("s1", "focus", 0.2),
            ("s1", "speed", 0.6),
            ("s2", "speed", 0.3),
            ("s3", "speed", 0.7),
        ]


def test_a_replacement_rolled_back_leaves_the_old_rows_of_an_unkeyed_table(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        insert_rows(store, "dimension_scores", [("s1", "speed", 0.1)])
        store.execute("BEGIN TRANSACTION")
        insert_rows(store, "dimension_scores", [("s1", "speed", 0.9)])
        store.execute("ROLLBACK")
        assert store.query("SELECT * FROM dimension_scores") == [("s1", "speed", 0.1)]


def test_a_table_changed_by_a_migration_is_read_again(tmp_path: Path) -> None:
    def create(con: Any) -> None:
        con.execute("CREATE TABLE extra (k VARCHAR PRIMARY KEY, n INTEGER)")

    def widen(con: Any) -> None:
        con.execute("ALTER TABLE extra ADD COLUMN note VARCHAR")

    with open_store(tmp_path / "s.duckdb") as store:
        migrate(store._con, [*MIGRATIONS, ("m900_extra", create)])
        insert_rows(store, "extra", [("a", 1)])
        migrate(store._con, [*MIGRATIONS, ("m900_extra", create), ("m901_widen", widen)])
        insert_rows(store, "extra", [("a", 2, "wide")])
        assert store.query("SELECT * FROM extra") == [("a", 2, "wide")]


def test_rows_go_in_after_a_result_left_unread(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, n INTEGER)")
        store._con.execute("SELECT * FROM range(10000)").fetchone()
        insert_rows(store, "t", [("a", 1)])
        assert store.query("SELECT * FROM t") == [("a", 1)]
