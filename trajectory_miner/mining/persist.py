"""Stable ids for mined items, and writing a run's items over the previous run's.

An item's id follows its cluster key: the same cluster gets the same id on every run, and a
new cluster gets the next number after the highest ever given (kept in `miner_state`), so
an id that once meant something never comes back meaning something else.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from trajectory_miner.mining.items import Skill, delete_items, ids_by_cluster, load_skills, save_items
from trajectory_miner.store import Store
from trajectory_miner.store.state import set_state, state_value

PREFIXES: dict[str, str] = {"patterns": "P", "incidents": "I", "skills": "S", "replays": "R"}


class IdBook:
    """The ids clusters already have, and the next free number per kind."""

    def __init__(self, store: Store) -> None:
        self.known: dict[str, dict[str, str]] = {}
        self.highest: dict[str, int] = {}
        for table, prefix in PREFIXES.items():
            known = ids_by_cluster(store, table)
            self.known[table] = known
            stored = state_value(store, f"last_id:{table}")
            self.highest[table] = max([int(stored or 0)] + [_number(i, prefix) for i in known.values()])

    def id_for(self, table: str, cluster_key: str) -> str:
        """The id of a cluster: the one it had, or a new one."""
        known = self.known[table]
        if cluster_key not in known:
            self.highest[table] += 1
            known[cluster_key] = f"{PREFIXES[table]}-{self.highest[table]:03d}"
        return known[cluster_key]

    def save(self, store: Store) -> None:
        for table, value in self.highest.items():
            set_state(store, f"last_id:{table}", str(value))


def _number(item_id: str, prefix: str) -> int:
    head, _, tail = item_id.partition("-")
    return int(tail) if head == prefix and tail.isdigit() else 0


def existing_skills(store: Store) -> dict[str, Skill]:
    """Stored skills by cluster key, so a run keeps what others changed on them."""
    return {skill.cluster_key: skill for skill in load_skills(store)}


def replace_items(store: Store, table: str, items: Sequence[BaseModel], *, prune: bool) -> int:
    """Store a run's items of one kind; with `prune`, remove the ones this run no longer found.

    An item stored as it is already is left alone, so its row keeps the time it last changed.
    Skills someone has moved past `candidate` are never removed. Returns how many were removed.
    """
    keep = {_id(i) for i in items}
    stored = {r[0]: (r[1], r[2]) for r in store.query(f"SELECT id, cluster_key, data FROM {table}")}
    stale: list[str] = []
    if prune:
        if table == "skills":
            stale = [s.id for s in load_skills(store) if s.id not in keep and s.status == "candidate"]
        else:
            stale = [item_id for item_id in stored if item_id not in keep]
    changed = [i for i in items if stored.get(_id(i)) != (_key(i), i.model_dump_json())]
    with store.transaction():
        delete_items(store, table, stale)
        save_items(store, table, changed)
    return len(stale)


def _id(item: BaseModel) -> str:
    return str(getattr(item, "id"))  # noqa: B009 - every mined item has one


def _key(item: BaseModel) -> str:
    return str(getattr(item, "cluster_key"))  # noqa: B009
