"""The first batch of recurring failures: labels that hold together, and recordings that agree with them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from .fake_api import Text, ToolCall
from .learning import Entry
from .learning_recurring_a import CONFIG, ENTRIES, ENV, INSTALL, RECURRING, TESTS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "learning"
# What the failure looks like in a tool result, for the recurring failures known by an error.
SHOWN_AS = {
    ENV: "KeyError: 'DATABASE_URL'",
    INSTALL: "No module named 'slugkit'",
    CONFIG: "unknown log level 'verbose'",
}
EDIT_TOOLS = {"Edit", "Write"}


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return "/tests/" in path or name.startswith("test_")


def _blocks(entry: Entry) -> list[dict[str, Any]]:
    """The content blocks of the recorded session's user and assistant lines, in order."""
    found: list[dict[str, Any]] = []
    with (FIXTURES / f"{entry.scenario.name}.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            content = (record.get("message") or {}).get("content")
            if record.get("type") in ("user", "assistant") and isinstance(content, list):
                found += [b for b in content if isinstance(b, dict)]
    return found


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _results(entry: Entry) -> list[dict[str, Any]]:
    return [b for b in _blocks(entry) if b.get("type") == "tool_result"]


def _edited_paths(entry: Entry) -> list[str]:
    return [
        str(b["input"]["file_path"])
        for b in _blocks(entry)
        if b.get("type") == "tool_use" and b.get("name") in EDIT_TOOLS
    ]


def _ids(entries: tuple[Entry, ...]) -> list[str]:
    return [e.scenario.name for e in entries]


def _id(entry: Entry) -> str:
    return entry.scenario.name


def test_names_are_unique_and_prefixed() -> None:
    names = _ids(ENTRIES)
    assert len(set(names)) == len(names)
    assert all(name.startswith("ra_") for name in names)


def test_every_recurring_failure_has_failing_and_fixing_sessions_in_two_projects() -> None:
    for recurring in RECURRING:
        own = [e.truth for e in ENTRIES if e.truth.recurring == recurring.id]
        failing = [t for t in own if t.role == "failing"]
        fixing = [t for t in own if t.role == "fixing"]
        assert len(failing) >= 2 and len(fixing) >= 2, recurring.id
        assert all(t.outcome in ("failure", "partial") for t in failing), recurring.id
        assert all(t.outcome == "success" and t.fix_kind and t.fix_evidence for t in fixing), recurring.id
        assert len({t.project for t in own}) >= 2, recurring.id
        assert len({t.fix_kind for t in fixing}) == 1, recurring.id


def test_projects_hold_two_to_four_sessions_of_one_file_tree() -> None:
    by_project: defaultdict[str, list[Entry]] = defaultdict(list)
    for entry in ENTRIES:
        by_project[entry.truth.project].append(entry)
    for project, entries in by_project.items():
        assert 2 <= len(entries) <= 4, project
        assert all(e.scenario.files == entries[0].scenario.files for e in entries), project


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids(ENTRIES))
def test_recording_follows_its_script(entry: Entry) -> None:
    blocks = _blocks(entry)
    scripted = [b.name for reply in entry.scenario.replies for b in reply.blocks if isinstance(b, ToolCall)]
    recorded = [str(b["name"]) for b in blocks if b.get("type") == "tool_use"]
    assert recorded == scripted
    said = [b.text for reply in entry.scenario.replies for b in reply.blocks if isinstance(b, Text)]
    assert [b["text"] for b in blocks if b.get("type") == "text"] == said
    assert len(_results(entry)) == len(scripted)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.truth.recurring in SHOWN_AS], ids=_id)
def test_sessions_of_an_error_show_that_error(entry: Entry) -> None:
    shown = SHOWN_AS[str(entry.truth.recurring)]
    assert any(shown in _result_text(block) for block in _results(entry))


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.truth.role == "fixing"], ids=_id)
def test_fixing_sessions_carry_their_fix_and_end_clean(entry: Entry) -> None:
    calls = json.dumps([b["input"] for b in _blocks(entry) if b.get("type") == "tool_use"]).lower()
    for evidence in entry.truth.fix_evidence:
        assert json.dumps(evidence)[1:-1].lower() in calls, evidence
    last = _results(entry)[-1]
    assert not last.get("is_error")
    assert SHOWN_AS.get(str(entry.truth.recurring), "Traceback") not in _result_text(last)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.truth.recurring in SHOWN_AS], ids=_id)
def test_error_sessions_change_no_code(entry: Entry) -> None:
    assert not [path for path in _edited_paths(entry) if path.endswith(".py")]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.truth.recurring == TESTS], ids=_id)
def test_test_editing_sessions_edit_tests_and_fixing_ones_edit_code(entry: Entry) -> None:
    edited = Counter(is_test_path(path) for path in _edited_paths(entry))
    if entry.truth.role == "failing":
        assert edited[True] and not edited[False]
    else:
        assert edited[False] and not edited[True]
    assert "passed" in _result_text(_results(entry)[-1])
