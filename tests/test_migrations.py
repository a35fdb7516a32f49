from pathlib import Path
from typing import Any

import duckdb
import pytest

from trajectory_miner.migrations import MIGRATIONS, applied, migrate, pending, schema_version
from trajectory_miner.store import open_store


def columns(con: Any, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position", [table]
    ).fetchall()
    return [r[0] for r in rows]


def test_a_blank_database_reaches_the_full_schema(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "blank.duckdb"))
    assert pending(con) == [name for name, _ in MIGRATIONS]
    ran = migrate(con)
    assert ran == [name for name, _ in MIGRATIONS]
    assert pending(con) == []
    assert schema_version(con) == MIGRATIONS[-1][0]
    assert columns(con, "steps")[:5] == ["session_id", "tool_use_id", "step_index", "turn_index", "tool_name"]
    assert "card" in columns(con, "scores")
    assert columns(con, "skills") == ["id", "cluster_key", "data", "updated_at"]


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "m.duckdb"))
    migrate(con)
    assert migrate(con) == []
    assert len(applied(con)) == len(MIGRATIONS)


def test_an_old_schema_database_with_rows_upgrades_and_keeps_its_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    migrate(con, stop_before="m002_scores")
    assert applied(con) == ["m001_capture"]
    con.execute(
        "INSERT INTO sessions VALUES "
        "('s1', '/p', '/p', '/t.jsonl', NULL, NULL, false, 'kept', NULL, NULL, '', '', now())"
    )
    con.close()
    with open_store(tmp_path / "old.duckdb") as store:
        assert store.scalar("SELECT title FROM sessions WHERE session_id = 's1'") == "kept"
        assert store.scalar("SELECT count(*) FROM scores") == 0
        assert pending(store.con) == []


def test_a_failing_migration_leaves_nothing_behind_and_stays_pending(tmp_path: Path) -> None:
    def broken(con: Any) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    con = duckdb.connect(str(tmp_path / "f.duckdb"))
    steps = [*MIGRATIONS, ("m999_broken", broken)]
    with pytest.raises(RuntimeError):
        migrate(con, steps)
    assert pending(con, steps) == ["m999_broken"]
    assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'").fetchone() == (
        0,
    )


def test_duplicate_migration_names_are_refused(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "d.duckdb"))
    with pytest.raises(ValueError, match="share a name"):
        migrate(con, [*MIGRATIONS, MIGRATIONS[0]])


def test_stop_before_an_applied_migration_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    migrate(con)
    with pytest.raises(ValueError, match="already applied"):
        migrate(con, stop_before="m001_capture")


def test_migration_names_follow_the_numbered_pattern() -> None:
    names = [name for name, _ in MIGRATIONS]
    assert names == sorted(names)
    assert all(name[0] == "m" and name[1:4].isdigit() and name[4] == "_" for name in names)
