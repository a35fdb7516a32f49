"""Opening the store: what every connection is set up with, and the errors it answers with."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajectory_miner.store import StoreError, StoreMissing, checkpoints_deferred, memory_capped, open_store


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
