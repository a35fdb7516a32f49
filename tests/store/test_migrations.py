from pathlib import Path
from typing import Any

import duckdb
import pytest

from trajectory_miner.store import open_store
from trajectory_miner.store.migrations import MIGRATIONS, WRITER_KEYS, applied, migrate, pending, schema_version


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
        assert pending(store._con) == []


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


REBUILT = ("turns", "steps", "events", "responses", "dimension_scores", "files", "miner_features", "retrieval_docs")


def _old_store_with_rows(path: Path) -> Any:
    con = duckdb.connect(str(path))
    migrate(con, stop_before="m008_lean_storage")
    long_text = "line of tool output with \x00, é and \U0001f600\n" * 200
    con.execute(
        "INSERT INTO steps SELECT 's' || (i % 7), 't' || i, i, i // 3, 'Bash', '{\"command\": \"ls\"}', 'ls', "
        "'thinking', TIMESTAMP '2026-01-02 03:04:05.678901' + INTERVAL (i) SECOND, NULL, true, ? || i, i * 10, "
        "i % 5 = 0, CASE WHEN i % 5 = 0 THEN 'sig' END, i % 3, NULL, ['a.py', NULL], NULL, NULL, NULL "
        "FROM range(3000) t(i)",
        [long_text],
    )
    con.execute(
        "INSERT INTO turns SELECT 's1', 'u' || i, i, 'prompt', ? || i, NULL, NULL, NULL, false, '' FROM range(50) t(i)",
        [long_text],
    )
    con.execute("INSERT INTO events VALUES ('s1', 'u1', 'compact', NULL, 0, -1, 'detail')")
    con.execute("INSERT INTO responses VALUES ('s1', 'm1', 'model', NULL, 1, 2, 3, 4)")
    con.execute("INSERT INTO dimension_scores VALUES ('s1', 'speed', 'NaN'::DOUBLE), ('s1', 'focus', 0.25)")
    con.execute(
        "INSERT INTO files VALUES ('/t.jsonl', 10, 10, 'h', 4, ?, 1, 0, '{}', TIMESTAMP '2026-01-01')", [long_text]
    )
    con.execute("INSERT INTO miner_features VALUES ('s1', 'v1:x', ?, TIMESTAMP '2026-01-01')", [long_text])
    con.execute(
        "INSERT INTO retrieval_docs VALUES ('s1', 'v1', TIMESTAMP '2026-01-01', 'title', 3, 1, ?, ?)",
        [long_text, long_text],
    )
    return con


def test_the_lean_storage_step_keeps_every_row_and_drops_only_the_per_step_keys(tmp_path: Path) -> None:
    con = _old_store_with_rows(tmp_path / "old.duckdb")
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in REBUILT}
    shape = {t: columns(con, t) for t in REBUILT}
    assert migrate(con) == ["m008_lean_storage"]
    con.execute("CHECKPOINT")
    for table in REBUILT:
        assert columns(con, table) == shape[table]
        assert repr(con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()) == repr(before[table])
    keyed = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    }
    compressed = {
        (table, r[0])
        for table in ("steps", "files", "miner_features", "retrieval_docs")
        for r in con.execute(
            f"SELECT column_name FROM pragma_storage_info('{table}') WHERE compression = 'ZSTD'"
        ).fetchall()
    }
    assert keyed.isdisjoint(WRITER_KEYS) and {"files", "miner_features", "retrieval_docs", "sessions"} <= keyed
    assert {
        ("steps", "result_text"),
        ("files", "state"),
        ("miner_features", "data"),
        ("retrieval_docs", "terms"),
    } <= compressed


def test_a_read_only_open_of_an_old_store_brings_it_up_to_date_first(tmp_path: Path) -> None:
    con = _old_store_with_rows(tmp_path / "old.duckdb")
    con.close()
    with open_store(tmp_path / "old.duckdb", read_only=True) as store:
        assert pending(store._con) == []
        assert store.scalar("SELECT count(*) FROM steps") == 3000
        with pytest.raises(duckdb.Error):
            store.execute("CREATE TABLE t (x INTEGER)")
