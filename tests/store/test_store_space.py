"""Free blocks given back to the disk: when a file is mostly holes it is rewritten, rows and all."""

from __future__ import annotations

from pathlib import Path

import pytest

import trajectory_miner.store.connection as store_module
from trajectory_miner.store import Store, free_space, open_store, reclaim_space


def fill(store: Store, rows: int) -> None:
    store.execute(
        "CREATE TABLE bulk AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS body FROM range(?) t(i)", [rows]
    )
    store.execute("CREATE TABLE kept (k VARCHAR PRIMARY KEY, n INTEGER)")
    store.execute("INSERT INTO kept VALUES ('a', 1), ('b', 2)")
    store.execute("CHECKPOINT")


def test_a_file_mostly_of_free_blocks_is_rewritten_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        fill(store, 300_000)
        store.execute("DELETE FROM bulk WHERE i >= 1000")
        store.execute("CREATE TABLE bulk2 AS SELECT * FROM bulk")
        store.execute("DROP TABLE bulk")
        store.execute("CHECKPOINT")
        size = path.stat().st_size
        wasted, _ = free_space(store)
        assert wasted > 0.5 * size

        assert reclaim_space(store, share=0.3, least=1024 * 1024)

        assert free_space(store)[0] < wasted / 10
        assert store.query("SELECT count(*), sum(i) FROM bulk2") == [(1000, sum(range(1000)))]
        assert store.query("SELECT * FROM kept ORDER BY k") == [("a", 1), ("b", 2)]
        # The fresh file keeps its keys, and the connection given back writes to it.
        with pytest.raises(Exception, match="(?i)constraint|duplicate"):
            store.execute("INSERT INTO kept VALUES ('a', 3)")
        store.execute("INSERT INTO kept VALUES ('c', 3)")
    assert path.stat().st_size < size / 2
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("s.duckdb")) == ["s.duckdb"]
    with open_store(path, read_only=True) as store:
        assert store.query("SELECT k FROM kept ORDER BY k") == [("a",), ("b",), ("c",)]


def test_a_file_with_few_free_blocks_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        fill(store, 20_000)
        store.execute("DELETE FROM kept WHERE k = 'a'")
        inode = path.stat().st_ino
        assert not reclaim_space(store, share=0.3, least=1024 * 1024)
        assert path.stat().st_ino == inode
        assert store.query("SELECT k FROM kept") == [("b",)]


def test_a_big_write_that_leaves_the_file_mostly_holes_gives_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "FREE_BYTES", 1024 * 1024)
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        fill(store, 300_000)
    grown = path.stat().st_size
    with open_store(path) as store:
        store.execute("DROP TABLE bulk")
    assert path.stat().st_size >= grown  # a write not marked big leaves the file as it is
    with open_store(path) as store:
        store.reclaim = True
    assert path.stat().st_size < grown / 4
    with open_store(path, read_only=True) as store:
        assert store.query("SELECT * FROM kept ORDER BY k") == [("a", 1), ("b", 2)]
        assert store.scalar("SELECT count(*) FROM sessions") == 0
