from pathlib import Path
from typing import Any

import duckdb
from export.pools import parquet_files, plant_cards
from secrets_corpus import LOCATIONS, PROJECT_FOLDER, leaks_in, scan_files, write_corpus

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.export import export_dataset, export_parquet, ingest_parquet
from trajectory_miner.store import Store, open_store

TEXT_TABLES = ("sessions", "turns", "steps", "events", "scores")


def store_text(store: Store) -> str:
    return "\n".join(repr(row) for table in TEXT_TABLES for row in store.query(f"SELECT * FROM {table}"))


def parquet_text(files: list[Path]) -> str:
    with duckdb.connect() as con:
        rows: list[tuple[Any, ...]] = []
        for path in files:
            rows += con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    return "\n".join(repr(row) for row in rows)


def test_no_planted_secret_reaches_the_dataset_or_the_parquet_files_even_from_an_unredacted_store(
    tmp_path: Path,
) -> None:
    planted = write_corpus(tmp_path / "corpus")
    with open_store(tmp_path / "raw.duckdb") as store:
        ingest_paths(store, [tmp_path / "corpus" / PROJECT_FOLDER], Config(), redact=lambda text: text)
        held = leaks_in(store_text(store), planted)
        plant_cards(store, {p.session_id: ("success", 0.95) for p in planted})
        report = export_dataset(store, tmp_path / "out" / "train.jsonl", pairs=True)
        export_parquet(store, tmp_path / "pool")
    assert {p.location for p in held} == set(LOCATIONS), "the store really holds every kind of planted secret"
    assert report.examples > 0 and report.sessions_selected == len({p.session_id for p in planted})
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 3
    assert scan_files(written, planted) == {}
    pooled = parquet_files(tmp_path / "pool")
    assert pooled and scan_files(pooled, planted) == {}
    assert leaks_in(parquet_text(pooled), planted) == []
    with open_store(tmp_path / "team.duckdb") as team:
        ingest_parquet(team, tmp_path / "pool")
        assert leaks_in(store_text(team), planted) == []
