"""The learning set assembled: every labelled session, the recurring failures, the replay questions.

The sessions come from three modules: the two batches of recurring failures
(`learning_recurring_a`, `learning_recurring_b`, each exporting `RECURRING` and `ENTRIES`)
and `learning_other` (incidents, harmless and clean sessions, and `QUERIES`). A batch whose
module is not there is left out, so the set can be recorded and measured in part.
Recorded by `python -m tests.harness.regenerate --set learning`.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from . import learning_other
from .learning import Entry, Query, Recurring

RECURRING_MODULES = ("learning_recurring_a", "learning_recurring_b")


def _optional(name: str) -> ModuleType | None:
    """The sibling module `name`, or None when it does not exist (an error inside it still raises)."""
    qualified = f"{__package__}.{name}"
    try:
        return import_module(qualified)
    except ModuleNotFoundError as error:
        if error.name == qualified:
            return None
        raise


def _batches() -> list[ModuleType]:
    return [m for m in (_optional(name) for name in RECURRING_MODULES) if m is not None]


def _unique(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    names = [e.scenario.name for e in entries]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"scenario names used twice in the learning set: {repeated}")
    return entries


_BATCHES = _batches()
LEARNING_SET: tuple[Entry, ...] = _unique(
    tuple(entry for batch in _BATCHES for entry in batch.ENTRIES) + learning_other.ENTRIES
)
RECURRING: tuple[Recurring, ...] = tuple(item for batch in _BATCHES for item in batch.RECURRING)
QUERIES: tuple[Query, ...] = learning_other.QUERIES
