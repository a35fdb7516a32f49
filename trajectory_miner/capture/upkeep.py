"""Work that follows new data in the store: score the sessions that changed, note skill use.

One function so that every way data arrives (the ingest command, the hooks' ingester, a
Parquet import, `rescore`) leaves the store in the same state.
"""

from __future__ import annotations

from collections.abc import Sequence

from trajectory_miner.capture.ingest import IngestReport
from trajectory_miner.progress import Progress
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.skills.usage import track_usage
from trajectory_miner.store import Store

UPKEEP_CHUNK = 200


def refresh_sessions(store: Store, session_ids: Sequence[str], progress: Progress | None = None) -> int:
    """Score `session_ids` with the current scorer and record which exported skills they used.

    Returns the number of sessions scored.
    """
    ids = sorted(set(session_ids))
    if not ids:
        return 0
    # Smaller chunks than a full rescore: this runs right after an ingest, in the same process,
    # and keeps that process's peak memory low.
    count = rescore_sessions(store, ids, progress=progress, chunk_size=UPKEEP_CHUNK)
    track_usage(store, ids)
    return count


def after_ingest(store: Store, report: IngestReport, progress: Progress | None = None) -> None:
    """The hook for `ingest_paths` callers: refresh the sessions the ingest touched."""
    refresh_sessions(store, list(report.session_ids), progress)
