"""The per-session feature cache, so a second run reads only the sessions that changed.

A cached entry is valid while the session's fingerprint (counts of its steps, results,
errors, turns, interrupts and events, and its last timestamp) and the feature version are
the same; anything else is read again from the store and extracted anew.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from trajectory_miner.mining.features import FEATURES_VERSION, SessionFeatures, extract
from trajectory_miner.mining.loader import fingerprints, load_rows
from trajectory_miner.progress import Progress
from trajectory_miner.store import Store
from trajectory_miner.utc import stored

# Each read scans the whole steps table once, whatever the number of sessions asked for: read many at once.
_CHUNK = 4000


def _cached(store: Store) -> dict[str, tuple[str, str]]:
    rows = store.query(
        "SELECT session_id, fingerprint, data FROM miner_features WHERE session_id IN (SELECT id FROM _mine_ids)"
    )
    return {sid: (fingerprint, data) for sid, fingerprint, data in rows}


def _save(store: Store, items: list[tuple[str, str, str]]) -> None:
    ids = [i[0] for i in items]
    now = stored()
    store.execute("DELETE FROM miner_features WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [ids])
    store.execute(
        "INSERT INTO miner_features SELECT unnest($1), unnest($2), unnest($3), unnest($4::TIMESTAMP[])",
        [ids, [i[1] for i in items], [i[2] for i in items], [now] * len(items)],
    )


def collect(
    store: Store, ids: Sequence[str], progress: Progress | None = None
) -> tuple[list[SessionFeatures], list[str]]:
    """Features of the given sessions, in order, and the ids that had to be read afresh."""
    current = {sid: f"v{FEATURES_VERSION}:{fp}" for sid, fp in fingerprints(store, ids).items()}
    cached = _cached(store)
    found: dict[str, SessionFeatures] = {}
    stale: list[str] = []
    for sid in ids:
        entry = cached.get(sid)
        if sid not in current:
            continue
        if entry is not None and entry[0] == current[sid]:
            found[sid] = SessionFeatures.from_row(orjson.loads(entry[1]))
        else:
            stale.append(sid)
    total = len(stale)
    for start in range(0, total, _CHUNK):
        chunk = stale[start : start + _CHUNK]
        fresh = [extract(rows) for rows in load_rows(store, chunk)]
        _save(store, [(sf.session_id, current[sf.session_id], orjson.dumps(sf.to_row()).decode()) for sf in fresh])
        found.update((sf.session_id, sf) for sf in fresh)
        if progress is not None:
            progress(min(start + _CHUNK, total), total, chunk[-1])
    return [found[sid] for sid in ids if sid in found], stale


def prune(store: Store) -> int:
    """Drop cached features of sessions the store no longer has."""
    gone = int(
        store.scalar("SELECT count(*) FROM miner_features WHERE session_id NOT IN (SELECT session_id FROM sessions)")
        or 0
    )
    if gone:
        store.execute("DELETE FROM miner_features WHERE session_id NOT IN (SELECT session_id FROM sessions)")
    return gone
