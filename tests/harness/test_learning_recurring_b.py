"""The second batch of the learning set: its labels hold together and match what was recorded."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .learning import Entry
from .learning_recurring_b import ENTRIES, HELPER_TYPE_ERROR, LOOPS, NEEDS_FLAG, RECURRING, SRC_LAYOUT

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "learning"
# The error text every session of an error-kind recurring failure meets.
ERROR_TEXT = {
    SRC_LAYOUT: "ModuleNotFoundError: No module named",
    NEEDS_FLAG: "error: the following arguments are required: --input",
    HELPER_TYPE_ERROR: "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
}
BY_NAME = {entry.scenario.name: entry for entry in ENTRIES}


def _calls(entry: Entry) -> list[tuple[str, dict[str, Any], str, bool]]:
    """(tool, input, result text, is_error) for each tool call of the recorded session."""
    path = FIXTURES / f"{entry.scenario.name}.jsonl"
    if not path.exists():
        pytest.skip(f"{path.name} is not recorded")
    uses: list[dict[str, Any]] = []
    results: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        content = (json.loads(line).get("message") or {}).get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                uses.append(block)
            elif block.get("type") == "tool_result":
                results[block["tool_use_id"]] = block
    return [(u["name"], u["input"], _text(results[u["id"]]), bool(results[u["id"]].get("is_error"))) for u in uses]


def _text(result: dict[str, Any]) -> str:
    content = result.get("content")
    if isinstance(content, list):
        return "\n".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return str(content or "")


def _names(recurring: str, role: str) -> list[str]:
    return [e.scenario.name for e in ENTRIES if e.truth.recurring == recurring and e.truth.role == role]


def test_every_recurring_failure_has_failing_and_fixing_sessions_in_two_projects() -> None:
    for recurring in RECURRING:
        mine = [e for e in ENTRIES if e.truth.recurring == recurring.id]
        roles = Counter(e.truth.role for e in mine)
        assert roles["failing"] >= 2 and roles["fixing"] >= 2, recurring.id
        assert len({e.truth.project for e in mine}) >= 2, recurring.id
        assert all(e.truth.outcome in ("failure", "partial") for e in mine if e.truth.role == "failing")
        assert all(e.truth.outcome == "success" for e in mine if e.truth.role == "fixing")
    assert {e.truth.recurring for e in ENTRIES} == {r.id for r in RECURRING}


def test_names_are_unique_prefixed_and_projects_hold_two_to_four_sessions() -> None:
    names = [e.scenario.name for e in ENTRIES]
    assert len(set(names)) == len(names) and all(n.startswith("rb_") for n in names)
    assert all(2 <= n <= 4 for n in Counter(e.truth.project for e in ENTRIES).values())


def test_fixing_sessions_carry_their_fix_and_failing_ones_none() -> None:
    for entry in ENTRIES:
        truth = entry.truth
        if truth.role == "fixing":
            assert truth.fix_evidence, entry.scenario.name
            assert truth.fix_kind is not None or truth.recurring == LOOPS, entry.scenario.name
        else:
            assert truth.fix_kind is None and not truth.fix_evidence, entry.scenario.name


@pytest.mark.parametrize("name", sorted(n for n, e in BY_NAME.items() if e.truth.recurring in ERROR_TEXT))
def test_each_session_meets_its_recurring_error(name: str) -> None:
    entry = BY_NAME[name]
    assert any(ERROR_TEXT[str(entry.truth.recurring)] in result for _, _, result, _ in _calls(entry))


@pytest.mark.parametrize("name", sorted(n for n, e in BY_NAME.items() if e.truth.role == "fixing"))
def test_the_fix_evidence_is_in_a_call_that_worked_after_the_first_failure(name: str) -> None:
    entry = BY_NAME[name]
    calls = _calls(entry)
    first_failure = next(i for i, (_, _, _, failed) in enumerate(calls) if failed)
    worked = [" ".join(map(str, i.values())).lower() for _, i, _, failed in calls[first_failure + 1 :] if not failed]
    for evidence in entry.truth.fix_evidence:
        assert any(evidence.lower() in inputs for inputs in worked), evidence
    assert not calls[-1][3], "a fixing session ends on a call that worked"


def _longest_unchanged_rerun(calls: list[tuple[str, dict[str, Any], str, bool]]) -> int:
    """The most times one failing command ran with no file written and no other command between."""
    best, run, last = 0, 0, None
    for tool, tool_input, _, failed in calls:
        command = tool_input.get("command") if tool == "Bash" else None
        if command is not None and command.startswith("sleep "):
            continue  # waiting changes nothing
        run = run + 1 if failed and command is not None and command == last else (1 if failed else 0)
        last = command if failed else None
        best = max(best, run)
    return best


@pytest.mark.parametrize("name", _names(LOOPS, "failing"))
def test_looping_sessions_rerun_one_failing_command_three_times_unchanged(name: str) -> None:
    assert _longest_unchanged_rerun(_calls(BY_NAME[name])) >= 3


@pytest.mark.parametrize("name", _names(LOOPS, "fixing"))
def test_contrast_sessions_change_something_after_the_first_failure(name: str) -> None:
    calls = _calls(BY_NAME[name])
    assert _longest_unchanged_rerun(calls) == 1 and not calls[-1][3]


def test_the_loop_sessions_fail_with_different_errors() -> None:
    errors = set()
    for name in _names(LOOPS, "failing"):
        failed = "\n".join(result for _, _, result, is_error in _calls(BY_NAME[name]) if is_error)
        found = re.search(r"\b\w+Error\b", failed)
        assert found, name
        errors.add(found.group())
    assert len(errors) == len(_names(LOOPS, "failing"))
