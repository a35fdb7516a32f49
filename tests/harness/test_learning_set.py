"""The recorded learning set: its labels are well formed, match the files and the code, and
the set holds what the measures in `bench/learning.py` need."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import pytest

from .learning import FixKind, RecurringKind, Role
from .learning_set import LEARNING_SET, _optional
from .regenerate import LEARNING_FIXTURES, LEARNING_SCRATCH, learning_labels
from .scenarios import Outcome

LABELS = LEARNING_FIXTURES / "labels.json"
NEEDED = {
    "sessions": 40,
    "error recurring failures": 6,
    "behaviour recurring failures": 2,
    "incidents": 4,
    "harmless sessions": 6,
    "queries": 10,
    "unanswerable queries": 3,
}
PER_RECURRING = {"failing": 2, "fixing": 2}

pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="the learning set is not recorded")


@pytest.fixture(scope="module")
def labels() -> dict[str, Any]:
    return dict(json.loads(LABELS.read_text(encoding="utf-8")))


def test_labels_are_well_formed(labels: dict[str, Any]) -> None:
    assert set(labels) == {"sessions", "recurring", "queries"}
    recurring = labels["recurring"]
    for rid, item in recurring.items():
        assert item["kind"] in get_args(RecurringKind) and item["description"].strip(), rid
    for name, truth in labels["sessions"].items():
        assert truth["outcome"] in get_args(Outcome), name
        assert truth["role"] in get_args(Role), name
        assert truth["fix_kind"] in (*get_args(FixKind), None), name
        assert truth["project"], name
        assert all(isinstance(e, str) and e for e in truth["fix_evidence"]), name
        in_recurring = truth["role"] in ("failing", "fixing")
        assert (truth["recurring"] in recurring) if in_recurring else truth["recurring"] is None, name
    for query in labels["queries"]:
        assert query["text"].strip() and isinstance(query["error_text"], str)
        assert query["answer"] is None or query["answer"] in recurring, query["text"]


def test_roles_agree_with_outcomes(labels: dict[str, Any]) -> None:
    """Fixing, harmless and clean sessions end well; failing sessions do not; an error's fixing
    sessions name what their fix must carry."""
    wrong = []
    for name, truth in labels["sessions"].items():
        role, outcome = truth["role"], truth["outcome"]
        if role in ("fixing", "harmless", "clean") and outcome != "success":
            wrong.append(f"{name}: {role} but {outcome}")
        if role == "failing" and outcome == "success":
            wrong.append(f"{name}: failing but success")
        kind = labels["recurring"].get(truth["recurring"], {}).get("kind")
        if role == "fixing" and kind == "error" and not truth["fix_evidence"]:
            wrong.append(f"{name}: fixes an error but names no fix evidence")
    assert not wrong, "\n".join(wrong)


def test_every_labelled_file_is_recorded_and_every_recording_labelled(labels: dict[str, Any]) -> None:
    recorded = {path.name for path in LEARNING_FIXTURES.glob("*.jsonl")}
    assert sorted(set(labels["sessions"]) - recorded) == [], "labelled but not recorded"
    assert sorted(recorded - set(labels["sessions"])) == [], "recorded but not labelled"


def test_labels_are_those_the_code_writes(labels: dict[str, Any]) -> None:
    """labels.json is rewritten from the entries and questions in the code (`--labels-only`)."""
    assert labels == learning_labels(LEARNING_FIXTURES)


def _cwds(path: Path) -> set[str]:
    found = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            entry = json.loads(line)
            if entry.get("type") in ("user", "assistant") and entry.get("cwd"):
                found.add(entry["cwd"])
    return found


def test_sessions_of_one_project_ran_in_one_repo_path(labels: dict[str, Any]) -> None:
    wrong = {}
    for name, truth in labels["sessions"].items():
        expected = str(LEARNING_SCRATCH / truth["project"] / "repo")
        if _cwds(LEARNING_FIXTURES / name) != {expected}:
            wrong[name] = sorted(_cwds(LEARNING_FIXTURES / name))
    assert not wrong


def _shortfalls(labels: dict[str, Any]) -> list[str]:
    sessions, recurring, queries = labels["sessions"], labels["recurring"], labels["queries"]
    roles = Counter(t["role"] for t in sessions.values())
    kinds = Counter(item["kind"] for item in recurring.values())
    have = {
        "sessions": len(sessions),
        "error recurring failures": kinds["error"],
        "behaviour recurring failures": kinds["behaviour"],
        "incidents": roles["incident"],
        "harmless sessions": roles["harmless"],
        "queries": len(queries),
        "unanswerable queries": sum(1 for q in queries if q["answer"] is None),
    }
    missing = [f"{what}: {have[what]} of at least {n}" for what, n in NEEDED.items() if have[what] < n]
    for rid in recurring:
        counts = Counter(t["role"] for t in sessions.values() if t["recurring"] == rid)
        missing += [
            f"{rid}: {counts[role]} {role} session(s) of at least {n}"
            for role, n in PER_RECURRING.items()
            if counts[role] < n
        ]
    projects = Counter(t["project"] for t in sessions.values())
    missing += [f"project {p}: {n} session(s), not 2 to 4" for p, n in sorted(projects.items()) if not 2 <= n <= 4]
    return missing


def test_the_set_meets_its_counts(labels: dict[str, Any]) -> None:
    missing = _shortfalls(labels)
    assert not missing, "the learning set falls short:\n" + "\n".join(missing)


def test_the_counts_check_names_what_is_missing(labels: dict[str, Any]) -> None:
    one_project = {n: {**t, "project": "solo"} for n, t in list(labels["sessions"].items())[:5]}
    thin = {"sessions": one_project, "recurring": {"r": {"kind": "error", "description": "x"}}, "queries": []}
    missing = _shortfalls(thin)
    assert "sessions: 5 of at least 40" in missing
    assert "unanswerable queries: 0 of at least 3" in missing
    assert "r: 0 failing session(s) of at least 2" in missing
    assert "project solo: 5 session(s), not 2 to 4" in missing


def test_scenario_names_are_unique_and_carry_their_batch_prefix() -> None:
    names = [e.scenario.name for e in LEARNING_SET]
    assert len(names) == len(set(names))
    assert all(name[:3] in ("ra_", "rb_", "lx_") for name in names)


def test_a_missing_batch_is_left_out() -> None:
    assert _optional("learning_batch_that_does_not_exist") is None
