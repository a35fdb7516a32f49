"""Looking after a data home: its health, and forgetting what a user asks to be forgotten.

- `doctor`: health checks of the store, the install and the hooks' activity, each with what
  to do;
- `forget`: removing sessions, the items mined from them and their text, for good.

The store's own rewrites (copying it to reclaim space, upgrading it) live in
`trajectory_miner.store`. Nothing is imported here.
"""

__all__: list[str] = []
