"""The DuckDB store: opened briefly for one unit of work, written in bulk, upgraded step by step.

- `connection`: `open_store` and the `Store` it yields (statements, queries, reads in batches,
  SQL functions written in Python, `transaction()`; the DuckDB connection stays in here), the
  retry while another process holds the file, a look at a store as found (for diagnosis), the
  store rewritten in place, and giving free blocks back after big writes;
- `tables`: the trajectory tables (sessions, turns, steps, events, responses) declared once,
  with the mapping between their rows and the parser's records and the model;
- `rows`: many rows written at once through DuckDB's appender, with each table's key kept;
- `migrations`: the schema as an append-only list of named steps;
- `state`: the store's own small notes (`miner_state`), read and written one way;
- `lock`: the store-wide writer lock every writing process takes first;
- `copy`: the store copied into a fresh file and put in place (for `forget` and reclaiming);
- `signature_upgrade`: stored error signatures brought up to the current signature code;
- `errors`: what callers catch.

Only this package imports DuckDB, and only once a store is opened: a process that never opens
one (the MCP server reads through a child process) never loads it.
"""

from trajectory_miner.store.connection import (
    FREE_BYTES,
    FREE_SHARE,
    Store,
    applied_migrations,
    checkpoints_deferred,
    connect_with_retry,
    free_space,
    memory_capped,
    open_as_found,
    open_store,
    reclaim_space,
    rewrite_file,
    rows_file,
)
from trajectory_miner.store.copy import check_copy, fresh_copy, put_in_place
from trajectory_miner.store.errors import StoreBusy, StoreError, StoreMissing, StoreOutdated
from trajectory_miner.store.rows import TableShape, insert_rows

__all__ = [
    "FREE_BYTES",
    "FREE_SHARE",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreMissing",
    "StoreOutdated",
    "TableShape",
    "applied_migrations",
    "check_copy",
    "checkpoints_deferred",
    "connect_with_retry",
    "free_space",
    "fresh_copy",
    "insert_rows",
    "memory_capped",
    "open_as_found",
    "open_store",
    "put_in_place",
    "reclaim_space",
    "rewrite_file",
    "rows_file",
]
