"""A comparable picture of what the store holds, without the columns that record when."""

from __future__ import annotations

from typing import Any

from trajectory_miner.store import Store

_VOLATILE = {"updated_at", "ingested_at", "state", "transcript_path", "path"}
TABLES = ("sessions", "turns", "steps", "events", "responses")


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    picture: dict[str, list[tuple[Any, ...]]] = {}
    for table in TABLES:
        names = [
            r[0]
            for r in store.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            )
            if r[0] not in _VOLATILE
        ]
        rows = store.query(f"SELECT {', '.join(names)} FROM {table}")
        picture[table] = sorted(tuple(repr(v) for v in row) for row in rows)
    return picture
