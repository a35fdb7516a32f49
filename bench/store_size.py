"""The store's size beside its own tables as Parquet with zstd (target: at most 2x).

Prints, for a store: its bytes on disk (with any write-ahead log), its free blocks, each
table's rows and bytes exported with `COPY ... (FORMAT parquet, COMPRESSION zstd)`, and the
store's size as a multiple of the Parquet total. The store is copied into a work folder first
and measured there, so the one given is never written. With `--upgrade`, the copy is then
opened for writing the way every command opens it (migrations, then the space reclaimed when
free blocks are a large share) and measured again, so one run shows an old store before and
after.

    python bench/store_size.py --store FILE [--upgrade] [--work DIR]
    python bench/store_size.py --sessions 1500 [--seed 1] [--work DIR]

Without `--store`, a corpus of `--sessions` is generated with `corpus_gen.py` and ingested into
a fresh store first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import corpus_gen  # noqa: E402

from trajectory_miner.store import open_store  # noqa: E402

TARGET_RATIO = 2.0


@dataclass(frozen=True)
class TableSize:
    name: str
    rows: int
    parquet_bytes: int
    keys: int


@dataclass(frozen=True)
class StoreSize:
    file_bytes: int
    block_size: int
    used_blocks: int
    free_blocks: int
    tables: tuple[TableSize, ...]

    @property
    def parquet_bytes(self) -> int:
        return sum(t.parquet_bytes for t in self.tables)


def measure(path: Path, scratch: Path) -> StoreSize:
    """The store's bytes, blocks and per-table Parquet-zstd sizes (opened read-only)."""
    wal = path.with_name(path.name + ".wal")
    file_bytes = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        row = con.execute(
            "SELECT block_size, used_blocks, free_blocks FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchall()[0]
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
                "ORDER BY table_name"
            ).fetchall()
        ]
        tables = tuple(_table(con, name, scratch) for name in names)
    finally:
        con.close()
    return StoreSize(file_bytes, int(row[0]), int(row[1]), int(row[2]), tables)


def _table(con: duckdb.DuckDBPyConnection, name: str, scratch: Path) -> TableSize:
    target = scratch / f"{name}.parquet"
    quoted = str(target).replace("'", "''")
    con.execute(f"COPY \"{name}\" TO '{quoted}' (FORMAT parquet, COMPRESSION zstd)")
    size = target.stat().st_size
    target.unlink()
    rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
    keys = con.execute(
        "SELECT count(*) FROM duckdb_constraints() WHERE database_name = current_database() AND table_name = ? "
        "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')",
        [name],
    ).fetchone()
    return TableSize(name, int(rows[0]) if rows else 0, size, int(keys[0]) if keys else 0)


def report(label: str, size: StoreSize) -> None:
    mb = 1e6
    free = size.free_blocks * size.block_size
    print(f"{label}:")
    print(f"  store {size.file_bytes / mb:8.1f} MB on disk, {free / mb:.1f} MB of it free blocks ({size.free_blocks})")
    print(f"  {'table':<20} {'rows':>10} {'parquet-zstd MB':>16} {'keys':>5}")
    for table in sorted(size.tables, key=lambda t: -t.parquet_bytes):
        print(f"  {table.name:<20} {table.rows:>10} {table.parquet_bytes / mb:>16.2f} {table.keys:>5}")
    ratio = size.file_bytes / size.parquet_bytes if size.parquet_bytes else float("nan")
    verdict = "met" if ratio <= TARGET_RATIO else "missed"
    print(f"  parquet-zstd total {size.parquet_bytes / mb:.1f} MB; store / parquet = {ratio:.2f}x")
    print(f"  target <= {TARGET_RATIO:.1f}x: {verdict}")


def build(work: Path, sessions: int, seed: int) -> Path:
    """A store ingested from a generated corpus of `sessions` (reused when it is there)."""
    from trajectory_miner.capture.ingest import ingest_paths
    from trajectory_miner.config import Config

    corpus = work / f"corpus{sessions}"
    if not (corpus / corpus_gen.MANIFEST).exists():
        corpus_gen.generate(corpus, sessions, seed)
    store_path = work / f"store{sessions}" / "miner.duckdb"
    if not store_path.exists():
        started = time.perf_counter()
        with open_store(store_path) as store:
            ingest_paths(store, [corpus / "projects"], Config())
        print(f"ingested {sessions} generated sessions in {time.perf_counter() - started:.0f} s")
    return store_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The store's size beside Parquet-zstd of its tables.")
    parser.add_argument("--store", type=Path, help="an existing store to copy and measure")
    parser.add_argument("--sessions", type=int, default=1500, help="sessions to generate without --store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--upgrade", action="store_true", help="open the copy for writing and measure it again")
    parser.add_argument("--work", type=Path, help="folder for the corpus, the store and the copy (kept)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        source = args.store if args.store else build(work, args.sessions, args.seed)
        copy = work / "measured" / "miner.duckdb"
        copy.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", ".wal"):
            original = source.with_name(source.name + suffix)
            copied = copy.with_name(copy.name + suffix)
            copied.unlink(missing_ok=True)
            if original.exists():
                shutil.copyfile(original, copied)
        scratch = work / "parquet"
        scratch.mkdir(exist_ok=True)
        report(f"store {source}", measure(copy, scratch))
        if args.upgrade:
            started = time.perf_counter()
            with open_store(copy):
                pass
            print(f"opened for writing (migrations, space reclaimed) in {time.perf_counter() - started:.1f} s")
            report("after", measure(copy, scratch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
