"""Export the store as Parquet into a folder a team can pool: incremental, append-only, redacted.

`export_parquet` writes the sessions that the folder does not already hold in their current
form (a session is known by its id and a fingerprint of its content and score), with their
turns, steps, events, responses and scores, and the mined items that changed since this store
last exported. Files are named after the export, which names the store, so two stores
exporting into one folder never write the same file; nothing already there is rewritten.
Files are written into a staging folder first and moved into place before the export's record
is written, so readers never see half an export.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from trajectory_miner import __version__
from trajectory_miner.export.manifest import (
    STAGING_DIR,
    ExportRecord,
    read_records,
    rebuild_manifest,
    write_record,
)
from trajectory_miner.export.tables import (
    MINED_TABLES,
    PARTITION_COLUMNS,
    PARTITIONED,
    SESSION_TABLES,
    checked_id,
    redacted_columns,
    redaction_functions,
    sql_string,
)
from trajectory_miner.redaction.redactor import DEFAULT_REDACTOR, Redactor
from trajectory_miner.store import Store
from trajectory_miner.store.state import set_state, state_value

STORE_ID_KEY = "export:store_id"


class ParquetExport(BaseModel):
    """What one export wrote."""

    directory: str
    store_id: str
    export_id: str | None = None
    sessions: int = 0
    sessions_unchanged: int = 0
    items: int = 0
    rows: dict[str, int] = Field(default_factory=dict)
    files: int = 0
    seconds: float = 0.0


def store_id(store: Store) -> str:
    """This store's id in pooled exports: random, made once and kept in `miner_state`."""
    found = state_value(store, STORE_ID_KEY)
    if found:
        return found
    new = secrets.token_hex(6)
    set_state(store, STORE_ID_KEY, new)
    return new


_FINGERPRINTS = """
    CREATE OR REPLACE TEMP TABLE _tm_fp AS
    WITH t AS (SELECT session_id, count(*) AS n FROM turns GROUP BY session_id),
    st AS (SELECT session_id, count(*) AS n, count(*) FILTER (WHERE is_error) AS errors,
        sum(length(result_text)) AS chars FROM steps GROUP BY session_id),
    e AS (SELECT session_id, count(*) AS n FROM events GROUP BY session_id),
    r AS (SELECT session_id, count(*) AS n, sum(output_tokens) AS out FROM responses GROUP BY session_id),
    d AS (SELECT session_id, string_agg(dimension || '=' || score, ',' ORDER BY dimension) AS dims
        FROM dimension_scores GROUP BY session_id)
    SELECT s.session_id, coalesce(st.n, 0) AS step_count,
        md5(concat_ws('|', coalesce(t.n, 0), coalesce(st.n, 0), coalesce(st.errors, 0), coalesce(st.chars, 0),
            coalesce(e.n, 0), coalesce(r.n, 0), coalesce(r.out, 0), coalesce(s.ended_at::VARCHAR, '-'), s.title,
            coalesce(c.scorer_version, '-'), coalesce(c.overall::VARCHAR, '-'), coalesce(c.outcome, '-'),
            coalesce(c.outcome_confidence::VARCHAR, '-'), coalesce(d.dims, '-')))[:16] AS fingerprint,
        tm_slug(s.project) AS project_slug,
        coalesce(strftime(coalesce(s.started_at, s.ended_at), '%Y-%m'), 'unknown') AS "month"
    FROM sessions s
    LEFT JOIN t USING (session_id) LEFT JOIN st USING (session_id) LEFT JOIN e USING (session_id)
    LEFT JOIN r USING (session_id) LEFT JOIN d USING (session_id) LEFT JOIN scores c USING (session_id)
"""


def _new_sessions(store: Store, records: list[ExportRecord]) -> tuple[int, int]:
    """Fill `_tm_new` with the sessions the folder lacks in their current form; (new, unchanged)."""
    store.execute(_FINGERPRINTS)
    known = [(sid, fp) for r in records for sid, fp in r.sessions.items()]
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _tm_known AS SELECT unnest($1::VARCHAR[]) AS session_id, "
        "unnest($2::VARCHAR[]) AS fingerprint",
        [[k[0] for k in known], [k[1] for k in known]],
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE _tm_new AS SELECT * FROM _tm_fp "
        "ANTI JOIN _tm_known USING (session_id, fingerprint)"
    )
    new = int(store.scalar("SELECT count(*) FROM _tm_new"))
    total = int(store.scalar("SELECT count(*) FROM _tm_fp"))
    return new, total - new


def _changed_items(store: Store, records: list[ExportRecord], sid: str) -> dict[str, dict[str, str]]:
    """Per mined table, the items (id -> hash of their data) this store has not exported as they are."""
    exported: dict[str, dict[str, str]] = {}
    for record in records:
        if record.store_id == sid:
            for table, items in record.items.items():
                exported.setdefault(table, {}).update(items)
    changed: dict[str, dict[str, str]] = {}
    for table in MINED_TABLES:
        rows = store.query(f"SELECT id, md5(data)[:16] FROM {table}")
        before = exported.get(table, {})
        found = {item_id: digest for item_id, digest in rows if before.get(item_id) != digest}
        if found:
            changed[table] = found
    return changed


def _session_select(table: str, provenance: str) -> str:
    if table == "sessions":
        return (
            f"SELECT {redacted_columns(table, 't')}, n.step_count, n.fingerprint, {provenance}, "
            f'n.project_slug, n."month" FROM sessions t JOIN _tm_new n USING (session_id)'
        )
    partition = ', n.project_slug, n."month"' if table in PARTITIONED else ""
    return (
        f"SELECT {redacted_columns(table, 't')}, {provenance}{partition} "
        f"FROM {table} t JOIN _tm_new n USING (session_id)"
    )


def _copy(store: Store, select: str, target: Path, partitioned: bool, export_id: str) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    options = "FORMAT PARQUET"
    if partitioned:
        columns = ", ".join(f'"{c}"' for c in PARTITION_COLUMNS)
        options += f", PARTITION_BY ({columns}), FILENAME_PATTERN '{export_id}-{{i}}', OVERWRITE_OR_IGNORE"
    rows = store.query(f"COPY ({select}) TO {sql_string(str(target))} ({options})")
    written = int(rows[0][0]) if rows else 0
    if not partitioned and written == 0:
        target.unlink(missing_ok=True)
    return written


def _write_tables(
    store: Store, staging: Path, sid: str, export_id: str, items: dict[str, dict[str, str]]
) -> dict[str, int]:
    provenance = f"{sql_string(sid)} AS store_id, {sql_string(export_id)} AS export_id"
    rows: dict[str, int] = {}
    for table in SESSION_TABLES:
        partitioned = table in PARTITIONED
        target = staging / table if partitioned else staging / table / f"{export_id}.parquet"
        rows[table] = _copy(store, _session_select(table, provenance), target, partitioned, export_id)
    for table, wanted in items.items():
        store.execute("CREATE OR REPLACE TEMP TABLE _tm_items AS SELECT unnest($1::VARCHAR[]) AS id", [list(wanted)])
        select = f"SELECT {redacted_columns(table, 't')}, {provenance} FROM {table} t SEMI JOIN _tm_items USING (id)"
        rows[table] = _copy(store, select, staging / table / f"{export_id}.parquet", False, export_id)
    return rows


def _move_into_place(staging: Path, directory: Path) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for path in sorted(staging.rglob("*.parquet")):
        relative = path.relative_to(staging)
        destination = directory / relative
        if destination.exists():
            raise FileExistsError(f"{destination} exists already")
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        files.setdefault(relative.parts[0], []).append(relative.as_posix())
    return files


def _watermarks(store: Store) -> dict[str, datetime | None]:
    marks: dict[str, datetime | None] = {
        "sessions": store.scalar("SELECT max(updated_at) FROM sessions"),
        "scores": store.scalar("SELECT max(scored_at) FROM scores"),
    }
    for table in MINED_TABLES:
        marks[table] = store.scalar(f"SELECT max(updated_at) FROM {table}")
    return marks


def _new_export_id(sid: str, now: datetime) -> str:
    # Starts with the time, so export ids sort by age; ends with randomness against clashes.
    return f"{now:%Y%m%dT%H%M%S%f}Z-{sid}-{secrets.token_hex(2)}"


def export_parquet(store: Store, directory: Path, *, redactor: Redactor | None = None) -> ParquetExport:
    """Write what the folder does not hold yet from this store, and record the export.

    Raises:
        FileExistsError: a file this export would write exists already (never overwritten).
    """
    began = time.monotonic()
    directory.mkdir(parents=True, exist_ok=True)
    sid = checked_id(store_id(store))
    with redaction_functions(store, redactor or DEFAULT_REDACTOR):
        return _export(store, directory, sid, began)


def _export(store: Store, directory: Path, sid: str, began: float) -> ParquetExport:
    records = read_records(directory)
    new, unchanged = _new_sessions(store, records)
    items = _changed_items(store, records, sid)
    report = ParquetExport(directory=str(directory), store_id=sid, sessions=new, sessions_unchanged=unchanged)
    if not new and not items:
        report.seconds = round(time.monotonic() - began, 3)
        return report
    now = datetime.now(UTC)
    export_id = _new_export_id(sid, now)
    staging = directory / STAGING_DIR / export_id
    try:
        rows = _write_tables(store, staging, sid, export_id, items)
        files = _move_into_place(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        with suppress(OSError):  # another store may be staging an export of its own
            staging.parent.rmdir()
    sessions = dict(store.query("SELECT session_id, fingerprint FROM _tm_new"))
    record = ExportRecord(
        export_id=export_id,
        store_id=sid,
        exported_at=now,
        tool_version=__version__,
        sessions=sessions,
        items=items,
        rows=rows,
        files=files,
        watermarks=_watermarks(store),
    )
    write_record(directory, record)
    rebuild_manifest(directory, read_records(directory))
    report.export_id = export_id
    report.items = sum(len(v) for v in items.values())
    report.rows = rows
    report.files = sum(len(v) for v in files.values())
    report.seconds = round(time.monotonic() - began, 3)
    return report
