"""Opening the store: what every connection is set up with, and the errors it answers with."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pytest

from trajectory_miner.store import (
    StoreError,
    StoreMissing,
    checkpoints_deferred,
    insert_rows,
    memory_capped,
    open_store,
    rows_file,
)


def test_no_connection_draws_a_progress_bar_on_stdout(tmp_path: Path) -> None:
    # The MCP server speaks JSON-RPC on stdout; DuckDB's progress bar would corrupt it.
    with open_store(tmp_path / "s.duckdb") as store:
        assert store.scalar("SELECT current_setting('enable_progress_bar')") is False
    with open_store(tmp_path / "s.duckdb", read_only=True) as store:
        assert store.scalar("SELECT current_setting('enable_progress_bar')") is False


def test_a_read_only_open_of_a_missing_store_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing), open_store(tmp_path / "absent.duckdb", read_only=True):
        pass
    assert not (tmp_path / "absent.duckdb").exists()


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot be opened"), open_store(broken):
        pass
    assert broken.read_bytes() == b"this is not a database\n" * 100


def test_memory_capped_lowers_duckdbs_limit_inside_the_block_and_restores_it(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        before = store.scalar("SELECT current_setting('memory_limit')")
        with memory_capped(store, "128MB"):
            assert store.scalar("SELECT current_setting('memory_limit')") == "122.0 MiB"
        with pytest.raises(RuntimeError), memory_capped(store, "64MB"):
            raise RuntimeError("the block failed")
        assert store.scalar("SELECT current_setting('memory_limit')")[:2] == before[:2]


def test_checkpoints_deferred_raises_the_threshold_inside_the_block_and_restores_it(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        before = store.scalar("SELECT current_setting('checkpoint_threshold')")
        with checkpoints_deferred(store, "256MB"):
            assert store.scalar("SELECT current_setting('checkpoint_threshold')") == "244.1 MiB"
        assert store.scalar("SELECT current_setting('checkpoint_threshold')") == before


def test_insert_rows_replaces_by_key_and_keeps_nan_and_infinities(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, x DOUBLE, ts TIMESTAMP, tags VARCHAR[], n BIGINT)")
        insert_rows(store, "t", [("a", 0.1, datetime(2026, 1, 2, 3, 4, 5, 678901), ["x"], 2**62)])
        insert_rows(store, "t", [("a", 1e-300, None, [], None), ("b", math.nan, None, None, -1)])
        insert_rows(store, "t", [("c", math.inf, None, None, 0), ("d", -math.inf, None, None, 0)])
        rows = store.query("SELECT * FROM t ORDER BY k")
        assert not rows_file(store.path).exists()
    assert rows[0] == ("a", 1e-300, None, [], None)
    assert rows[1][0] == "b" and math.isnan(rows[1][1]) and rows[1][4] == -1
    assert rows[2:] == [("c", math.inf, None, None, 0), ("d", -math.inf, None, None, 0)]


def test_insert_rows_keeps_exact_text_and_times(tmp_path: Path) -> None:
    odd = "nul \x00, line sep \u2028, emoji \U0001f600, quotes \"' and \\"
    at = datetime(2026, 1, 2, 3, 4, 5, 678901)
    with open_store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, ts TIMESTAMP, tags VARCHAR[], n BIGINT)")
        insert_rows(store, "t", [("a", at, [odd, None], 2**62), ("b\udcff", None, ["x\udcff"], None)])
        assert store.query("SELECT * FROM t ORDER BY k") == [
            ("a", at, [odd, None], 2**62),
            ("b\\udcff", None, ["x\\udcff"], None),
        ]


def test_insert_rows_with_on_conflict_updates_in_place(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, n INTEGER NOT NULL)")
        insert_rows(store, "t", [("a", 1), ("b", 2)])
        insert_rows(store, "t", [("a", 10), ("c", 3)], "ON CONFLICT (k) DO UPDATE SET n = t.n + excluded.n")
        assert store.query("SELECT * FROM t ORDER BY k") == [("a", 11), ("b", 2), ("c", 3)]


def test_rows_a_killed_writer_left_beside_the_store_are_removed_when_it_is_opened_to_write(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        leftover = rows_file(store.path)
    leftover.write_text('{"c0": "text of a session on its way in"}\n')
    with open_store(tmp_path / "s.duckdb", read_only=True):
        assert leftover.exists()
    with open_store(tmp_path / "s.duckdb"):
        assert not leftover.exists()


def test_a_transaction_commits_its_work_and_rolls_all_of_it_back_when_it_raises(tmp_path: Path) -> None:
    database = tmp_path / "miner.duckdb"
    with open_store(database) as store:
        store.execute("CREATE TABLE kept (n INTEGER)")
        with store.transaction():
            store.execute("INSERT INTO kept VALUES (1)")
        with pytest.raises(KeyboardInterrupt), store.transaction():
            store.execute("INSERT INTO kept VALUES (2)")
            raise KeyboardInterrupt

        assert store.query("SELECT n FROM kept") == [(1,)]
