"""Recoveries read from sessions recorded with the real CLI (the learning set): what got past
each failure, and what changed on the way, against the set's own labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.analysis.recoveries import Action, Recovery, Trace, trace
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.scoring.facts import action
from trajectory_miner.sessions import load_sessions
from trajectory_miner.store import open_store

LEARNING = Path(__file__).resolve().parents[1] / "fixtures" / "learning"
LABELS = LEARNING / "labels.json"

pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="the learning set is not recorded")


def _labels() -> dict[str, Any]:
    return dict(json.loads(LABELS.read_text(encoding="utf-8"))["sessions"]) if LABELS.exists() else {}


FIXING = sorted(name for name, truth in _labels().items() if truth["role"] == "fixing")


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[Action], Trace]]:
    """Every recorded session's actions and trace, keyed by file name."""
    db = tmp_path_factory.mktemp("learning") / "m.duckdb"
    with open_store(db) as store:
        ingest_paths(store, sorted(LEARNING.glob("*.jsonl")), Config(), redact=lambda text: text)
        sessions = load_sessions(store, [r[0] for r in store.query("SELECT session_id FROM sessions")])
    found: dict[str, tuple[list[Action], Trace]] = {}
    for session in sessions:
        actions = [action(step) for step in session.steps()]
        found[Path(session.transcript_path).name] = (actions, trace(actions))
    return found


def recoveries(traced: dict[str, tuple[list[Action], Trace]], name: str) -> list[Recovery]:
    return list(traced[name][1].recoveries.values())


def first_failure(traced: dict[str, tuple[list[Action], Trace]], name: str) -> tuple[Action, Recovery | None]:
    actions, found = traced[name]
    pos = found.failures()[0]
    return actions[pos], found.recoveries.get(pos)


def test_the_set_has_fixing_sessions_to_check() -> None:
    assert len(FIXING) >= 8


@pytest.mark.parametrize("name", FIXING)
def test_a_fixing_session_has_a_recovery_that_carries_its_labelled_fix(
    traced: dict[str, tuple[list[Action], Trace]], name: str
) -> None:
    """The labels name the text of each fix; some recovery's changes or recovering command holds it."""
    actions, _ = traced[name]
    evidence = _labels()[name]["fix_evidence"]
    carried = [
        r
        for r in recoveries(traced, name)
        for text in evidence
        if any(text in c.detail for c in r.changes) or text in actions[r.by].command
    ]
    assert carried, (name, evidence, recoveries(traced, name))


def test_an_export_in_the_same_call_recovers_with_an_environment_change(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    failed, recovery = first_failure(traced, "ra_env_orders_export_then_run.jsonl")
    assert "DATABASE_URL" in failed.signature
    assert recovery is not None
    assert [(c.kind, c.detail.split("=")[0]) for c in recovery.changes] == [("environment", "DATABASE_URL")]


def test_an_inline_assignment_recovers_with_an_environment_change(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    _, recovery = first_failure(traced, "ra_env_invoice_inline.jsonl")
    assert recovery is not None
    assert any(c.kind == "environment" and c.detail.startswith("DATABASE_URL=") for c in recovery.changes)


def test_a_dotenv_write_recovers_with_an_edit_of_a_config_file(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    _, recovery = first_failure(traced, "ra_env_orders_dotenv.jsonl")
    assert recovery is not None
    edits = [c for c in recovery.changes if c.kind == "edit"]
    assert edits and edits[0].path.endswith("/.env") and edits[0].path_class == "config"
    assert "DATABASE_URL=" in edits[0].detail


def test_a_run_piped_into_tail_that_still_shows_the_error_is_a_failure_not_a_recovery(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    actions, found = traced["ra_env_orders_tail_claims_success.jsonl"]
    hidden = [actions[p] for p in found.failures() if "| tail" in actions[p].command]
    assert hidden and not hidden[0].is_error
    assert not recoveries(traced, "ra_env_orders_tail_claims_success.jsonl")


def test_fixing_the_code_and_fixing_the_test_differ_in_the_class_of_file_changed(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    _, by_code = first_failure(traced, "ra_tests_pricing_fix_threshold.jsonl")
    _, by_test = first_failure(traced, "ra_tests_pricing_change_expected.jsonl")
    assert by_code is not None and by_test is not None
    assert {c.path_class for c in by_code.changes if c.kind == "edit"} == {"source"}
    assert {c.path_class for c in by_test.changes if c.kind == "edit"} == {"tests"}


def test_a_call_that_fails_differently_is_not_a_recovery(traced: dict[str, tuple[list[Action], Trace]]) -> None:
    """`PYTHONPATH=vendor python build.py` gets past the missing module only to fail on an
    import inside it: a different failure, so the first one is not recovered."""
    actions, found = traced["ra_install_blog_vendor_path.jsonl"]
    first, second = found.failures()[:2]
    assert actions[first].signature != actions[second].signature
    assert first not in found.recoveries


def test_a_passing_subset_of_the_tests_does_not_recover_a_failing_full_run(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    """Collection fails for the whole suite; running only a test file that avoids the failing
    import passes, and proves nothing about the failure."""
    actions, found = traced["ra_env_invoice_tests_blocked.jsonl"]
    first = found.failures()[0]
    assert "tests/" not in actions[first].command
    assert first not in found.recoveries


def test_a_recovery_after_a_different_failure_is_credited_to_the_failure_it_got_past(
    traced: dict[str, tuple[list[Action], Trace]],
) -> None:
    """The script fails, then the tests fail with the same error; the source fix that makes the
    tests pass recovers the test run, not the script run that was never repeated."""
    actions, found = traced["rb_helper_fixed_sum.jsonl"]
    script, tests = found.failures()[:2]
    assert "pytest" not in actions[script].command and "pytest" in actions[tests].command
    assert script not in found.recoveries
    recovery = found.recoveries[tests]
    assert "pytest" in actions[recovery.by].command
    assert [c.path_class for c in recovery.changes if c.kind == "edit"] == ["source"]
