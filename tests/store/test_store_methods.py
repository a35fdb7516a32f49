"""What callers outside the store use instead of its connection: statements, batches, columns, SQL functions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajectory_miner.store import applied_migrations, open_as_found, open_store, rewrite_file
from trajectory_miner.store.migrations import MIGRATIONS


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("store") / "s.duckdb"
    with open_store(database) as store:
        store.execute("CREATE TABLE n AS SELECT i, 'row ' || i AS label FROM range(250) r(i)")
    return database


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(1, 300), below=st.integers(0, 260))
def test_rows_read_in_batches_are_the_rows_read_at_once(numbers: Path, size: int, below: int) -> None:
    sql = "SELECT i, label FROM n WHERE i < ? ORDER BY i"
    with open_store(numbers, read_only=True) as store:
        batches = list(store.batches(sql, [below], size=size))
        assert [row for batch in batches for row in batch] == store.query(sql, [below])
        assert all(0 < len(batch) <= size for batch in batches)


def test_a_write_answers_its_row_count_and_columns_come_in_order(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (k VARCHAR, n INTEGER)")
        assert store.query("INSERT INTO t VALUES ('a', 1), ('b', 2)") == [(2,)]
        assert store.scalar("DELETE FROM t WHERE n > ?", [1]) == 1
        assert store.columns("t") == ["k", "n"]


def test_text_functions_are_callable_inside_the_block_only(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        with store.text_functions({"tm_shout": str.upper}):
            assert store.scalar("SELECT tm_shout('quiet')") == "QUIET"
        with pytest.raises(Exception, match="tm_shout"):
            store.scalar("SELECT tm_shout('quiet')")


def test_a_store_is_seen_as_found_and_rewritten_in_place(tmp_path: Path) -> None:
    database = tmp_path / "s.duckdb"
    with open_store(database) as store:
        store.execute("CREATE TABLE kept (n INTEGER)")
        store.execute("INSERT INTO kept VALUES (1), (2)")
    rewrite_file(database, 5.0, ".rewrite", lambda copy: copy.execute("DELETE FROM fresh_copy.kept WHERE n = 2"))
    found = open_as_found(database, 5.0)
    try:
        assert found.read_only and found.query("SELECT n FROM kept") == [(1,)]
        assert applied_migrations(found) == [name for name, _ in MIGRATIONS]
    finally:
        found.close()
