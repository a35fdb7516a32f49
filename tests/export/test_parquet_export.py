import re
from pathlib import Path

import orjson
from export.pools import (
    EVERY_ENTRY,
    JEST_STUCK_A,
    JEST_STUCK_B,
    MODULE_FIXED,
    filled,
    parquet_files,
    pooled_rows,
    session_of,
    table_rows,
)
from hypothesis import given
from hypothesis import strategies as st
from store_snapshot import snapshot

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.export import export_parquet, ingest_parquet, store_id
from trajectory_miner.export.manifest import read_records
from trajectory_miner.export.tables import MINED_TABLES, project_slug
from trajectory_miner.mining import mine
from trajectory_miner.mining.items import load_incidents, load_patterns
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.store import open_store

SOURCES = [EVERY_ENTRY, JEST_STUCK_A, MODULE_FIXED]


def test_a_round_trip_through_parquet_gives_a_fresh_store_the_same_rows_and_scores(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", SOURCES) as source:
        export_parquet(source, pool)
        before = snapshot(source)
        scores = {t: table_rows(source, t) for t in ("scores", "dimension_scores")}
    with open_store(tmp_path / "b.duckdb") as fresh:
        report = ingest_parquet(fresh, pool)
        assert snapshot(fresh) == before
        assert {t: table_rows(fresh, t) for t in scores} == scores
    assert all(before[table] for table in before), "every capture table holds rows"
    assert report.sessions_added == len(before["sessions"]) == 4


def test_reading_the_same_pool_again_changes_nothing(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", SOURCES) as source:
        export_parquet(source, pool)
        again = ingest_parquet(source, pool)
        assert (again.sessions_added, again.sessions_replaced, again.sessions_unchanged) == (0, 0, 4)
    with open_store(tmp_path / "b.duckdb") as fresh:
        ingest_parquet(fresh, pool)
        first = snapshot(fresh)
        second = ingest_parquet(fresh, pool)
        assert snapshot(fresh) == first
        assert second.session_ids == []


def test_a_second_export_writes_only_the_session_added_since(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A]) as store:
        first = export_parquet(store, pool)
        files_before = {p: p.read_bytes() for p in parquet_files(pool)}
        ingest_paths(store, [JEST_STUCK_B], Config())
        rescore_sessions(store)  # every card is written again; unchanged ones must not be exported again
        second = export_parquet(store, pool)
        added = session_of(store, JEST_STUCK_B)
        third = export_parquet(store, pool)
    records = read_records(pool)
    assert [r.export_id for r in records] == [first.export_id, second.export_id]
    assert list(records[1].sessions) == [added] and (second.sessions, second.sessions_unchanged) == (1, 1)
    new_files = [p for p in parquet_files(pool) if p not in files_before]
    assert len(new_files) == second.files == sum(len(f) for f in records[1].files.values())
    assert all(second.export_id in p.name for p in new_files)
    assert {p: p.read_bytes() for p in files_before} == files_before
    assert third.export_id is None and len(parquet_files(pool)) == len(files_before) + len(new_files)
    manifest = orjson.loads((pool / "_manifest.json").read_bytes())
    assert [list(e["sessions"]) for e in manifest["exports"]][1] == [added]


def test_sessions_turns_and_steps_are_partitioned_by_project_and_month(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", SOURCES) as store:
        export_parquet(store, pool)
        expected = {
            (project_slug(project), started.strftime("%Y-%m"))
            for project, started in store.query("SELECT project, started_at FROM sessions")
        }
    for table in ("sessions", "turns", "steps"):
        folders = {(p.parent.parent.name, p.parent.name) for p in (pool / table).rglob("*.parquet")}
        assert folders == {(f"project_slug={slug}", f"month={month}") for slug, month in expected}
    for table in ("events", "responses", "scores", "dimension_scores"):
        assert [p.parent.name for p in (pool / table).rglob("*.parquet")] == [table]


@given(st.text(max_size=300))
def test_a_project_slug_is_a_short_folder_safe_name(project: str) -> None:
    slug = project_slug(project)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,79}", slug)


def test_two_stores_exporting_into_one_folder_keep_their_own_files(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A]) as a:
        export_parquet(a, pool)
        id_a = store_id(a)
    files_a = {p: p.read_bytes() for p in parquet_files(pool)}
    with filled(tmp_path / "b.duckdb", [JEST_STUCK_B]) as b:
        export_parquet(b, pool)
        id_b = store_id(b)
    assert id_a != id_b
    assert {p: p.read_bytes() for p in files_a} == files_a
    owners = {p.name.split("-")[1] for p in parquet_files(pool)}
    assert owners == {id_a, id_b}
    manifest = orjson.loads((pool / "_manifest.json").read_bytes())
    assert set(manifest["stores"]) == {id_a, id_b}
    assert sorted(r[0] for r in pooled_rows(pool, "sessions", "store_id")) == sorted([id_a, id_b])


def test_a_session_that_grew_is_exported_again_and_its_newest_copy_wins(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    lines = JEST_STUCK_A.read_bytes().splitlines(keepends=True)
    transcript = tmp_path / "projects" / "-home-dev-shop" / JEST_STUCK_A.name
    transcript.parent.mkdir(parents=True)
    transcript.write_bytes(b"".join(lines[: len(lines) // 2]))
    with filled(tmp_path / "a.duckdb", [transcript]) as store:
        export_parquet(store, pool)
        with transcript.open("ab") as handle:
            handle.write(b"".join(lines[len(lines) // 2 :]))
        ingest_paths(store, [transcript], Config())
        rescore_sessions(store)
        grown = export_parquet(store, pool)
        final = snapshot(store)
    assert grown.sessions == 1
    assert len(pooled_rows(pool, "sessions")) == 2
    with open_store(tmp_path / "b.duckdb") as fresh:
        report = ingest_parquet(fresh, pool)
        assert snapshot(fresh) == final
    assert (report.sessions_in_pool, report.sessions_added) == (1, 1)


def test_an_older_copy_in_the_pool_does_not_replace_a_newer_session_in_the_store(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    lines = JEST_STUCK_A.read_bytes().splitlines(keepends=True)
    transcript = tmp_path / "projects" / "-home-dev-shop" / JEST_STUCK_A.name
    transcript.parent.mkdir(parents=True)
    transcript.write_bytes(b"".join(lines[: len(lines) // 2]))
    with filled(tmp_path / "old.duckdb", [transcript]) as old:
        export_parquet(old, pool)
    with filled(tmp_path / "new.duckdb", [JEST_STUCK_A]) as new:
        before = snapshot(new)
        report = ingest_parquet(new, pool)
        assert snapshot(new) == before
    assert (report.sessions_unchanged, report.sessions_replaced) == (1, 0)


def test_pooled_sessions_of_two_stores_yield_a_pattern_neither_store_finds_alone(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    singles = []
    for name, transcript in (("a", JEST_STUCK_A), ("b", JEST_STUCK_B)):
        with filled(tmp_path / f"{name}.duckdb", [transcript]) as store:
            singles.append((session_of(store, transcript), mine(store).patterns))
            export_parquet(store, pool)
    with open_store(tmp_path / "team.duckdb") as team:
        ingest_parquet(team, pool)
        rescore_sessions(team)
        report = mine(team)
    both = {singles[0][0], singles[1][0]}
    assert any(set(p.sessions) == both for p in report.patterns)
    assert all(not patterns for _, patterns in singles)


def test_mined_items_are_exported_and_only_exported_again_when_they_change(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    with filled(tmp_path / "a.duckdb", [JEST_STUCK_A, JEST_STUCK_B, EVERY_ENTRY]) as store:
        mine(store)
        first = export_parquet(store, pool)
        patterns, incidents = load_patterns(store), load_incidents(store)
        mined = sum(store.scalar(f"SELECT count(*) FROM {table}") for table in MINED_TABLES)
        mine(store)
        second = export_parquet(store, pool)
    assert patterns and incidents
    assert sorted(r[0] for r in pooled_rows(pool, "patterns", "id")) == [p.id for p in patterns]
    exported = {r[0]: orjson.loads(r[1]) for r in pooled_rows(pool, "incidents", "id, data")}
    assert exported == {i.id: i.model_dump(mode="json") for i in incidents}
    assert first.items == mined
    assert second.export_id is None
    assert set(read_records(pool)[0].items) <= set(MINED_TABLES)
