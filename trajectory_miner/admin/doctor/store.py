"""The doctor's look at the store: does it open, which DuckDB wrote it, is its schema this version's.

It opens the store read-only and never waits long for a store another process holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trajectory_miner.admin.doctor.findings import Check, shell_quote
from trajectory_miner.admin.forget import REWRITE_PENDING
from trajectory_miner.capture.forgotten import forgotten_file
from trajectory_miner.capture.ingest import LAST_INGEST_KEY, LastRun, last_run
from trajectory_miner.paths import Paths
from trajectory_miner.store import Store, StoreBusy, StoreError, applied_migrations, open_as_found
from trajectory_miner.store.lock import held_elsewhere
from trajectory_miner.store.migrations import MIGRATIONS
from trajectory_miner.store.state import state_value
from trajectory_miner.utc import aware_or_none

_PID = re.compile(r"\(PID (\d+)\)")


@dataclass
class StoreFacts:
    offsets: dict[str, int]
    last_ingest: datetime | None
    last_run: LastRun | None = None


def ingester_running(lock: Path) -> bool:
    """True when another process holds the ingest lock (the probe the hooks make)."""
    return held_elsewhere(lock)


def check_store(paths: Paths, wait_seconds: float) -> tuple[Check, StoreFacts | None]:
    """Whether the store opens, and its schema against the latest migration."""
    database = paths.database
    if not database.exists():
        return Check(
            name="store",
            level="note",
            summary=f"no store at {database} yet",
            fix="run `trajectory-miner ingest` to read your past sessions",
        ), None
    try:
        store = open_as_found(database, wait_seconds)
    except StoreBusy as exc:
        return _busy(paths, exc), None
    except StoreError as exc:
        if written_by_another_duckdb(str(exc)):
            return Check(
                name="store",
                level="problem",
                summary=f"the store was written by another DuckDB version than this environment's: {exc}",
                fix=OTHER_DUCKDB_ADVICE,
            ), None
        return Check(
            name="store",
            level="problem",
            summary=f"the store is damaged: {exc}",
            fix=rebuild_advice(database),
        ), None
    try:
        return _schema(store, database)
    except Exception as exc:  # a file that opens but cannot be read is damaged all the same
        return Check(
            name="store",
            level="problem",
            summary=f"the store opens but cannot be read: {str(exc).splitlines()[0]}",
            fix=rebuild_advice(database),
        ), None
    finally:
        store.close()


OTHER_DUCKDB_ADVICE = (
    "update trajectory-miner (`git pull && ./install.sh`, or `claude plugin update` for a marketplace install) so "
    "its environment has the DuckDB that wrote the store; the store is intact, so do not move it aside"
)


_VERSION_MARKERS = ("version number", "newer version of duckdb", "older version of duckdb", "storage version")


def written_by_another_duckdb(message: str) -> bool:
    """Whether DuckDB refused the file for its storage version rather than for damage."""
    lowered = message.lower()
    return any(marker in lowered for marker in _VERSION_MARKERS)


def rebuild_advice(database: Path) -> str:
    """How to rebuild a damaged store, and why the sessions the user forgot stay forgotten."""
    wal = database.with_name(database.name + ".wal")
    aside = f"mv {shell_quote(database)} {shell_quote(database)}.broken"
    if wal.exists():
        aside += f" && mv {shell_quote(wal)} {shell_quote(database)}.broken.wal"
    return (
        f"move it aside ({aside}), then run `trajectory-miner ingest` to rebuild it from the transcripts "
        f"still on disk; sessions you forgot stay out of the rebuilt store, because their ids are kept in "
        f"{shell_quote(forgotten_file(database))} (leave that file where it is)"
    )


def _busy(paths: Paths, exc: StoreBusy) -> Check:
    cause = str(exc.__cause__ or exc)
    pid = _PID.search(cause)
    if ingester_running(paths.ingest_lock):
        return Check(name="store", level="ok", summary="the store is busy: the background ingester is writing it")
    holder = f" (process {pid.group(1)})" if pid else ""
    return Check(
        name="store",
        level="note",
        summary=f"the store is in use by another process{holder}; its contents were not checked",
        fix="run `trajectory-miner doctor` again when that process has finished",
    )


def _schema(store: Store, database: Path) -> tuple[Check, StoreFacts | None]:
    done = applied_migrations(store)
    names = [name for name, _ in MIGRATIONS]
    latest = names[-1]
    unknown = [name for name in done if name not in names]
    missing = [name for name in names if name not in done]
    version = done[-1] if done else "(empty)"
    details: dict[str, Any] = {"schema": version, "latest": latest, "pending": missing, "unknown": unknown}
    if unknown:
        return Check(
            name="store",
            level="problem",
            summary=f"the store was written by a newer trajectory-miner (schema {unknown[-1]})",
            fix="update the plugin to the latest version",
            details=details,
        ), None
    if missing:
        return Check(
            name="store",
            level="problem",
            summary=f"the store's schema is {version}; this version needs {latest}",
            fix="run `trajectory-miner ingest` once to upgrade it",
            details=details,
        ), None
    unfinished = state_value(store, REWRITE_PENDING)
    if unfinished:
        return Check(
            name="store",
            level="problem",
            summary=f"the text of sessions forgotten at {unfinished[:16]} may still be in the store file",
            fix="run `trajectory-miner forget --finish` to rewrite it",
            details=details,
        ), None
    sessions = store.scalar("SELECT count(*) FROM sessions WHERE NOT is_sidechain")
    turns = store.scalar("SELECT count(*) FROM turns")
    offsets = {path: int(offset) for path, offset in store.query("SELECT path, offset_bytes FROM files")}
    last = store.scalar("SELECT max(ingested_at) FROM files")
    noted = state_value(store, LAST_INGEST_KEY)
    details.update(sessions=sessions, turns=turns, bytes=database.stat().st_size)
    check = Check(
        name="store",
        level="ok",
        summary=f"{sessions:,} sessions, {turns:,} turns; schema {version} (the latest)",
        details=details,
    )
    return check, StoreFacts(offsets=offsets, last_ingest=aware_or_none(last), last_run=last_run(noted))
