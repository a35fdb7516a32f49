"""Read a pooled Parquet folder into the store: every developer's sessions, each stored once.

Only rows of recorded (complete) exports are read. A session found in several exports, or
already in the store, is kept once: the copy that ended last wins, then the one with more
steps, then the newest export; a copy equal to what the store holds changes nothing, so
reading the same folder twice is a no-op. A session taken from the pool replaces the store's
rows for it (turns, steps, events, responses and score card) with those of the chosen copy.
Text passes through the redactor again on the way in; sessions the user forgot and those of
excluded projects are not read. Mined items are not read back: mining over the store after
reading covers the pooled sessions and finds them again.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from trajectory_miner.config import Config, is_excluded
from trajectory_miner.export.manifest import ExportRecord, read_records
from trajectory_miner.export.tables import (
    SESSION_TABLES,
    redacted_expression,
    redaction_functions,
    sql_string,
)
from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.store import Store
from trajectory_miner.utc import stored


class PoolError(ValueError):
    """The folder holds no pooled export."""


class PoolIngestReport(BaseModel):
    """What reading a pooled folder did."""

    directory: str
    exports: int = 0
    exports_incomplete: int = 0
    stores: int = 0
    sessions_in_pool: int = 0
    sessions_added: int = 0
    sessions_replaced: int = 0
    sessions_unchanged: int = 0
    excluded_sessions: int = 0
    forgotten_sessions: int = 0
    rows: dict[str, int] = Field(default_factory=dict)
    session_ids: list[str] = Field(default_factory=list)
    seconds: float = 0.0


def _complete(directory: Path, records: list[ExportRecord]) -> list[ExportRecord]:
    """The records whose files are all there: a session is taken whole or not at all."""
    return [r for r in records if all((directory / f).is_file() for files in r.files.values() for f in files)]


def _create_views(store: Store, directory: Path, records: list[ExportRecord]) -> set[str]:
    """A temp view `_tm_pool_<table>` over the recorded files of each table; the tables that have files."""
    present: set[str] = set()
    exports = ", ".join(sql_string(r.export_id) for r in records)
    for table in SESSION_TABLES:
        files = [str(directory / f) for r in records for f in r.files.get(table, [])]
        if not files:
            continue
        listed = ", ".join(sql_string(f) for f in files)
        # The partition folders are not read as columns: every file holds all it needs.
        store.execute(
            f"CREATE OR REPLACE TEMP VIEW _tm_pool_{table} AS SELECT * FROM read_parquet([{listed}], "
            f"hive_partitioning = false, union_by_name = true) WHERE export_id IN ({exports})"
        )
        present.add(table)
    return present


_CHOOSE = """
    CREATE OR REPLACE TEMP TABLE _tm_best AS
    SELECT session_id, project, ended_at, step_count, store_id, export_id FROM (
        SELECT *, row_number() OVER (PARTITION BY session_id
            ORDER BY ended_at DESC NULLS LAST, step_count DESC, export_id DESC) AS rank
        FROM _tm_pool_sessions) WHERE rank = 1
"""
_COMPARE = """
    SELECT b.session_id, b.project, s.session_id IS NOT NULL AS known,
        s.session_id IS NULL
        OR (b.ended_at IS NOT NULL AND (s.ended_at IS NULL OR b.ended_at > s.ended_at))
        OR (b.ended_at IS NOT DISTINCT FROM s.ended_at AND b.step_count > coalesce(k.n, 0)) AS newer,
        EXISTS (SELECT 1 FROM forgotten_sessions f
            WHERE f.session_id IN (b.session_id, split_part(b.session_id, '/', 1))) AS forgotten
    FROM _tm_best b
    LEFT JOIN sessions s USING (session_id)
    LEFT JOIN (SELECT session_id, count(*) AS n FROM steps GROUP BY session_id) k USING (session_id)
    ORDER BY b.session_id
"""


def _choose(store: Store, config: Config, report: PoolIngestReport) -> list[str]:
    """Fill `_tm_take` with the chosen copies the store should take; their session ids."""
    store.execute(_CHOOSE)
    take: list[str] = []
    for session_id, project, known, newer, forgotten in store.query(_COMPARE):
        report.sessions_in_pool += 1
        if forgotten:
            report.forgotten_sessions += 1
        elif project and is_excluded(project, config):
            report.excluded_sessions += 1
        elif not newer:
            report.sessions_unchanged += 1
        else:
            take.append(session_id)
            if known:
                report.sessions_replaced += 1
            else:
                report.sessions_added += 1
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _tm_take AS SELECT b.* FROM _tm_best b "
        "SEMI JOIN (SELECT unnest($1::VARCHAR[]) AS session_id) w USING (session_id)",
        [take],
    )
    return take


def _copy_table(store: Store, table: str, now: datetime) -> int:
    pooled = set(store.columns(f"_tm_pool_{table}"))
    columns = [c for c in store.columns(table) if c in pooled or (table == "sessions" and c == "updated_at")]
    values = [
        "$1::TIMESTAMP AS updated_at" if table == "sessions" and c == "updated_at" else redacted_expression(table, c)
        for c in columns
    ]
    # `_write` deleted the other tables' rows of these sessions; the per-step ones have no key to replace by.
    verb = "INSERT OR REPLACE" if table == "sessions" else "INSERT"
    rows = store.query(
        f"{verb} INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM _tm_pool_{table} SEMI JOIN _tm_take USING (session_id, store_id, export_id)",
        [now] if table == "sessions" else [],
    )
    return int(rows[0][0]) if rows else 0


def _write(store: Store, present: set[str], report: PoolIngestReport) -> None:
    now = stored()
    with store.transaction():
        for table in SESSION_TABLES:
            if table != "sessions":
                store.execute(f"DELETE FROM {table} WHERE session_id IN (SELECT session_id FROM _tm_take)")
        for table in SESSION_TABLES:
            report.rows[table] = _copy_table(store, table, now) if table in present else 0


def ingest_parquet(
    store: Store, directory: Path, config: Config | None = None, *, redactor: Redactor | None = None
) -> PoolIngestReport:
    """Read a pooled folder into the store; forgotten sessions and those of excluded projects are passed over.

    Raises:
        PoolError: the folder holds no recorded export.
    """
    began = time.monotonic()
    config = config or Config()
    records = read_records(directory)
    if not records:
        raise PoolError(f"no pooled export in {directory}: run `trajectory-miner export parquet` into it first")
    complete = _complete(directory, records)
    report = PoolIngestReport(
        directory=str(directory),
        exports=len(complete),
        exports_incomplete=len(records) - len(complete),
        stores=len({r.store_id for r in complete}),
    )
    with redaction_functions(store, redactor or Redactor(config.redact_patterns)):
        present = _create_views(store, directory, complete)
        if "sessions" in present:
            report.session_ids = _choose(store, config, report)
            if report.session_ids:
                _write(store, present, report)
    report.seconds = round(time.monotonic() - began, 3)
    return report
