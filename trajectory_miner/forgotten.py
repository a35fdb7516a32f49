"""The sessions a user forgot, and the filter ingest applies so that they never come back.

`trajectory_miner.forget` removes a session's rows and records its id; ingest reads the ids
once per run and drops their records from every batch it parses, and their open turns from the
parser state it stores.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson

from trajectory_miner.store import Store
from trajectory_miner.transcript import ParsedBatch


def forgotten_ids(store: Store) -> frozenset[str]:
    """Every session id the user asked to forget."""
    return frozenset(r[0] for r in store.query("SELECT session_id FROM forgotten_sessions"))


def is_forgotten(session_id: str, forgotten: Collection[str]) -> bool:
    """True for a forgotten session and for any sidechain of one."""
    return session_id in forgotten or session_id.split("/", 1)[0] in forgotten


def drop_forgotten(batch: ParsedBatch, forgotten: Collection[str]) -> int:
    """Take the records of forgotten sessions out of a parsed batch; returns how many sessions went."""
    if not forgotten:
        return 0
    return batch.keep_sessions(lambda sid: not is_forgotten(sid, forgotten))


def scrub_state(state: str, forgotten: Collection[str]) -> str:
    """A transcript's stored parser state without the open turns and steps of forgotten sessions."""
    if not state or not forgotten:
        return state
    data = orjson.loads(state)
    cursors = data.get("cursors") if isinstance(data, dict) else None
    if not isinstance(cursors, dict):
        return state
    kept = {sid: cursor for sid, cursor in cursors.items() if not is_forgotten(sid, forgotten)}
    if len(kept) == len(cursors):
        return state
    data["cursors"] = kept
    return orjson.dumps(data).decode()
