"""Live hints: for each specific error signature, the fixes that got sessions past it.

- `table`: the hint table worked out from the retrieval index and the approved skills, and
  `<data home>/hints.json`, which the PostToolUseFailure hook reads;
- `child`: the same table worked out in a second process while `mine` runs, from the saved
  index, so the command does not wait for the index to load.

The names below load with their module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trajectory_miner.lazy import lazy_attributes

if TYPE_CHECKING:
    from trajectory_miner.hints.table import HINTS_VERSION, Hint, build_hints, hints_from_store, render, write_hints

_HOMES = {"table": ("HINTS_VERSION", "Hint", "build_hints", "hints_from_store", "render", "write_hints")}

__all__ = ["HINTS_VERSION", "Hint", "build_hints", "hints_from_store", "render", "write_hints"]

__getattr__ = lazy_attributes(__name__, _HOMES)
