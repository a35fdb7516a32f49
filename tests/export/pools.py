"""Stores filled from fixture transcripts, and ways to look at what an export wrote."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.scoring.card import DIMENSIONS, DimensionScore, Scorecard, save_scorecards
from trajectory_miner.store import Store, open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
SCENARIOS = FIXTURES / "scenarios"
EVERY_ENTRY = TRANSCRIPTS / "project-every-entry"
EVERY_ENTRY_SESSION = "11111111-aaaa-4bbb-8ccc-000000000001"
JEST_STUCK_A = TRANSCRIPTS / "mining_jest_missing_stuck_a.jsonl"
JEST_STUCK_B = TRANSCRIPTS / "mining_jest_missing_stuck_b.jsonl"
MODULE_STUCK = SCENARIOS / "recurring_module_error_stuck_a.jsonl"
MODULE_FIXED = SCENARIOS / "recurring_module_error_fixed_a.jsonl"


@contextmanager
def filled(path: Path, transcripts: Sequence[Path], **ingest: Any) -> Iterator[Store]:
    """A store at `path` holding the transcripts, each session scored by the scorer."""
    with open_store(path) as store:
        ingest_paths(store, list(transcripts), Config(), **ingest)
        rescore_sessions(store)
        yield store


def session_of(store: Store, transcript: Path) -> str:
    """The id of the main session read from a transcript file."""
    found: str = store.scalar(
        "SELECT session_id FROM sessions WHERE transcript_path LIKE ? AND NOT is_sidechain", [f"%{transcript.name}"]
    )
    return found


def plant_cards(store: Store, cards: dict[str, tuple[str, float]]) -> None:
    """Replace the score cards of sessions with cards of one outcome and the same score everywhere."""
    save_scorecards(
        store,
        [
            Scorecard(
                session_id=sid,
                scorer_version="test",
                overall=score,
                outcome=outcome,  # type: ignore[arg-type]
                outcome_confidence=0.9,
                dimensions={d: DimensionScore(name=d, score=score) for d in DIMENSIONS},
            )
            for sid, (outcome, score) in cards.items()
        ],
    )


def parquet_files(directory: Path) -> list[Path]:
    """Every Parquet file in a pooled folder."""
    return sorted(directory.rglob("*.parquet"))


def pooled_rows(directory: Path, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """The rows of one table across every file of a pooled folder, as any Parquet reader sees them."""
    pattern = str(directory / table / "**" / "*.parquet")
    with duckdb.connect() as con:
        rows: list[tuple[Any, ...]] = con.execute(
            f"SELECT {columns} FROM read_parquet(?, hive_partitioning = true, union_by_name = true)", [pattern]
        ).fetchall()
    return rows


def table_rows(store: Store, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table, sorted, for comparing two stores."""
    return sorted(store.query(f"SELECT * FROM {table}"), key=repr)
