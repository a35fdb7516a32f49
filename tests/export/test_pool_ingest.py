from pathlib import Path

import pytest
from export.pools import JEST_STUCK_A, MODULE_FIXED, filled, session_of

from trajectory_miner.config import Config
from trajectory_miner.export import PoolError, export_parquet, ingest_parquet
from trajectory_miner.export.manifest import read_records
from trajectory_miner.store import open_store


def test_a_folder_without_export_records_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pool" / "sessions").mkdir(parents=True)
    with open_store(tmp_path / "s.duckdb") as store, pytest.raises(PoolError, match="no pooled export"):
        ingest_parquet(store, tmp_path / "pool")


def test_sessions_of_excluded_projects_are_not_read_from_the_pool(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A, MODULE_FIXED]) as source:
        export_parquet(source, pool)
        kept = session_of(source, MODULE_FIXED)
        excluded = source.scalar(
            "SELECT project FROM sessions WHERE session_id = ?", [session_of(source, JEST_STUCK_A)]
        )
    with open_store(tmp_path / "b.duckdb") as team:
        report = ingest_parquet(team, pool, Config(excluded_projects=[excluded]))
        assert [r[0] for r in team.query("SELECT session_id FROM sessions")] == [kept]
        assert team.scalar("SELECT count(*) FROM steps WHERE session_id <> ?", [kept]) == 0
    assert (report.sessions_added, report.excluded_sessions) == (1, 1)


def test_an_export_missing_one_of_its_files_is_passed_over_whole(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A]) as first:
        export_parquet(first, pool)
    with filled(tmp_path / "b.duckdb", [MODULE_FIXED]) as second:
        export_parquet(second, pool)
        intact = session_of(second, MODULE_FIXED)
    broken = read_records(pool)[0]
    (pool / broken.files["steps"][0]).unlink()
    with open_store(tmp_path / "team.duckdb") as team:
        report = ingest_parquet(team, pool)
        assert [r[0] for r in team.query("SELECT session_id FROM sessions")] == [intact]
    assert (report.exports, report.exports_incomplete) == (1, 1)


def test_a_forgotten_session_does_not_come_back_from_the_pool(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A, MODULE_FIXED]) as source:
        export_parquet(source, pool)
        gone, kept = session_of(source, JEST_STUCK_A), session_of(source, MODULE_FIXED)
    with open_store(tmp_path / "b.duckdb") as team:
        team.execute("INSERT INTO forgotten_sessions VALUES (?, now()::TIMESTAMP)", [gone])
        report = ingest_parquet(team, pool)
        assert [r[0] for r in team.query("SELECT session_id FROM sessions")] == [kept]
    assert (report.sessions_added, report.forgotten_sessions) == (1, 1)
