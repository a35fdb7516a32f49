"""The store's own notes: small named values in `miner_state` (the last ingest, the ids given, a pending rewrite).

One reading and one writing, so every module that keeps a note keeps it the same way: a key
holds one text value, and writing a key again replaces it.
"""

from __future__ import annotations

from typing import Any

from trajectory_miner.store.connection import Store


def state_value(store: Store, key: str) -> str | None:
    """The value noted under `key`, or None when nothing is."""
    value: Any = store.scalar("SELECT value FROM miner_state WHERE key = ?", [key])
    return None if value is None else str(value)


def set_state(store: Store, key: str, value: str) -> None:
    """Note `value` under `key`, replacing what was there."""
    store.execute(
        "INSERT INTO miner_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]
    )
