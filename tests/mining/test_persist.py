"""Writing a run's items: rows already as found are left alone, others are written, stale ones go."""

from __future__ import annotations

from mining.stores import MiningStore
from trajectory_miner.mining import mine
from trajectory_miner.store import Store

TABLES = ("patterns", "incidents", "replays")


def _rows(store: Store, table: str) -> dict[str, tuple[str, str, object]]:
    return {r[0]: (r[1], r[2], r[3]) for r in store.query(f"SELECT id, cluster_key, data, updated_at FROM {table}")}


def test_a_second_run_leaves_unchanged_rows_alone_and_rewrites_or_removes_the_others(
    mining_store: MiningStore,
) -> None:
    store = mining_store.store
    report = mine(store)
    before = {table: _rows(store, table) for table in TABLES}
    assert before["patterns"] and before["incidents"]
    pattern, incident = report.patterns[0], report.incidents[0]
    store.execute("UPDATE patterns SET data = '{}' WHERE id = ?", [pattern.id])
    store.execute(
        "INSERT INTO incidents SELECT 'I-999', 'sig:gone', data, updated_at FROM incidents WHERE id = ?",
        [incident.id],
    )
    again = mine(store)
    assert again.removed["incidents"] == 1
    after = {table: _rows(store, table) for table in TABLES}
    for table in TABLES:
        assert set(after[table]) == set(before[table])
        for item_id, (key, data, stamp) in after[table].items():
            assert (key, data) == before[table][item_id][:2]
            rewritten = (table, item_id) == ("patterns", pattern.id)
            assert (stamp != before[table][item_id][2]) == rewritten, (table, item_id)
