"""The learning set: sessions recorded with the real CLI, labelled with what the miner should learn.

Each entry pairs a `Scenario` (what the user asks, what the scripted model does, the repo
it works in) with a `Truth`: the session's outcome, its role (a failing or fixing session of
a recurring failure, a one-off incident, a harmless non-failure, a clean session), the
recurring failure it belongs to, how it fixed it, and the concrete content of that fix (the
strings a skill carrying the fix must contain). `QUERIES` are replay questions worded in
other words than the sessions use; some have no answer in the set.

Sessions of one scratch project share one repo path (`project`), so the store sees several
sessions per project, as a user's history has. Recorded into `tests/fixtures/learning/` by
`python -m tests.harness.regenerate --set learning`; `bench/learning.py` measures the miner
on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .scenarios import Outcome, Scenario

Role = Literal["failing", "fixing", "incident", "harmless", "clean"]
FixKind = Literal["env_var", "install", "config_edit", "source_edit", "command_flag"]
RecurringKind = Literal["error", "behaviour"]


@dataclass(frozen=True)
class Recurring:
    """A failure that recurs across sessions: by its error text, or by a behaviour."""

    id: str
    kind: RecurringKind
    description: str


@dataclass(frozen=True)
class Truth:
    """What is true of one recorded session."""

    outcome: Outcome
    role: Role
    project: str
    recurring: str | None = None
    fix_kind: FixKind | None = None
    # Strings a skill that carries this session's fix must contain (a variable's name, the
    # flag, the package installed, a fragment of the edit), compared case-insensitively.
    fix_evidence: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Query:
    """A replay question: what a stuck session would ask, and which recurring failure answers it
    (None when nothing in the set does)."""

    text: str
    answer: str | None
    error_text: str = ""


@dataclass(frozen=True)
class Entry:
    scenario: Scenario
    truth: Truth


def truth_json(truth: Truth) -> dict[str, object]:
    """A truth as written to `labels.json`."""
    return {
        "outcome": truth.outcome,
        "role": truth.role,
        "project": truth.project,
        "recurring": truth.recurring,
        "fix_kind": truth.fix_kind,
        "fix_evidence": list(truth.fix_evidence),
        "note": truth.note,
    }
