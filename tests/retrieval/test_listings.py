"""Listings from the index (sessions, skills, patterns), a session in detail, and feedback."""

from __future__ import annotations

from pathlib import Path

import pytest
from retrieval.builders import DISTRACTOR, FIXED_SESSIONS, PORT_FIXED, STUCK_SESSIONS, put_items

from trajectory_miner.mining.items import Pattern, Skill
from trajectory_miner.retrieval import (
    BadRequest,
    MemoryIndex,
    get_skill,
    list_patterns,
    list_skills,
    record_vote,
    search_sessions,
    session_detail,
)
from trajectory_miner.retrieval.answers import size
from trajectory_miner.store import open_store

SKILLS = [
    Skill(
        id="S-001",
        cluster_key="a",
        name="run-scripts-as-modules",
        description="Run repo scripts with python -m",
        trigger="ModuleNotFoundError for a package at the repo root",
        steps=["cd to the root", "python -m x"],
        status="approved",
        support=3,
        success_rate=1.0,
    ),
    Skill(
        id="S-002",
        cluster_key="b",
        name="free-a-busy-port",
        description="Stop what holds a port",
        trigger="EADDRINUSE",
        steps=["lsof -ti:PORT | xargs kill"],
        status="candidate",
        support=2,
    ),
]
PATTERNS = [
    Pattern(
        id="P-001",
        cluster_key="p1",
        frequency=9,
        severity="high",
        root_cause_cluster="module not found",
        projects=["/work/other"],
        sessions=list(STUCK_SESSIONS),
    ),
    Pattern(
        id="P-002",
        cluster_key="p2",
        frequency=2,
        severity="low",
        root_cause_cluster="port in use",
        projects=["/work/web"],
    ),
]


def index_of(database: Path) -> MemoryIndex:
    with open_store(database, read_only=True) as store:
        return MemoryIndex.build(store)


def test_sessions_are_found_by_their_words_and_filtered_by_project(planted_index: MemoryIndex) -> None:
    found = search_sessions(planted_index, "helpers module", None, None, 10, 1500)
    ids = [line.id for line in found.sessions]
    assert DISTRACTOR in ids
    assert set(FIXED_SESSIONS) <= set(ids)
    assert found.sessions[0].matched
    web = search_sessions(planted_index, "npm start", "web", None, 10, 1500)
    assert {line.id for line in web.sessions} == {PORT_FIXED, "90r75tck-0000-4000-8000-000000000001"}
    assert all(line.project == "web" for line in web.sessions)


def test_a_session_search_that_nothing_stored_resembles_lists_nothing_and_says_what_was_searched(
    planted_index: MemoryIndex,
) -> None:
    unseen = search_sessions(planted_index, "rust borrow checker", None, None, 10, 1500)
    assert unseen.sessions == []
    assert unseen.note.startswith("nothing similar in the history")
    assert "rust, borrow, checker" in unseen.note
    # A word most sessions hold does not make a session like a question about something else.
    common = search_sessions(planted_index, "helpers terraform state lock", None, None, 10, 1500)
    assert common.sessions == []
    assert "terraform" in common.note
    assert search_sessions(planted_index, "helpers", None, None, 10, 1500).sessions


def test_a_session_search_says_when_only_its_filters_left_nothing(planted_index: MemoryIndex) -> None:
    found = search_sessions(planted_index, "npm start", "app", None, 10, 1500)
    assert found.sessions == []
    assert found.note == "no session of project app holds these words (2 other session(s) do)"


def test_a_session_search_asks_for_valid_filters(planted_index: MemoryIndex) -> None:
    with pytest.raises(BadRequest, match="outcome must be one of"):
        search_sessions(planted_index, "x", None, "won", 10, 1500)
    with pytest.raises(BadRequest, match="limit must be between 1 and 50"):
        search_sessions(planted_index, "x", None, None, 0, 1500)
    assert "no searchable words" in search_sessions(planted_index, "!!! ??", None, None, 5, 1500).note


def test_skills_are_listed_by_match_and_filtered_by_status(planted: Path) -> None:
    put_items(planted, "skills", SKILLS)
    index = index_of(planted)
    assert [s.id for s in list_skills(index, None, None, 1500).skills] == ["S-001", "S-002"]
    assert [s.id for s in list_skills(index, "port busy EADDRINUSE", None, 1500).skills][0] == "S-002"
    assert [s.id for s in list_skills(index, None, "candidate", 1500).skills] == ["S-002"]
    with pytest.raises(BadRequest, match="status must be one of"):
        list_skills(index, None, "great", 1500)


def test_a_skill_is_shown_whole_and_an_unknown_one_names_the_known_ids(planted: Path) -> None:
    put_items(planted, "skills", SKILLS)
    index = index_of(planted)
    detail = get_skill(index, "S-001", 1500)
    assert detail.steps == ["cd to the root", "python -m x"]
    assert detail.trigger.startswith("ModuleNotFoundError")
    with pytest.raises(BadRequest, match=r"no skill 'S-404' \(known: S-001, S-002\)"):
        get_skill(index, "S-404", 1500)


def test_patterns_are_listed_most_severe_first_and_filtered(planted: Path) -> None:
    put_items(planted, "patterns", PATTERNS)
    index = index_of(planted)
    assert [p.id for p in list_patterns(index, None, None, 1500).patterns] == ["P-001", "P-002"]
    assert [p.id for p in list_patterns(index, None, "medium", 1500).patterns] == ["P-001"]
    assert [p.id for p in list_patterns(index, "web", None, 1500).patterns] == ["P-002"]
    assert list_patterns(index, None, None, 1500).patterns[0].sessions == 3
    with pytest.raises(BadRequest, match="min_severity"):
        list_patterns(index, None, "urgent", 1500)


def test_no_mined_items_yet_says_how_to_get_some(planted_index: MemoryIndex) -> None:
    assert "run /mine" in list_skills(planted_index, None, None, 1500).note
    assert "run /mine" in list_patterns(planted_index, None, None, 1500).note


def test_a_session_in_brief_has_its_headline_and_errors(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        detail = session_detail(store, STUCK_SESSIONS[0], "brief", 0, 1500)
    assert detail.id == STUCK_SESSIONS[0]
    assert detail.first_prompt == "Export job 0"
    assert detail.tool_errors == 4
    assert detail.error_signatures[0] == "ModuleNotFoundError: No module named 'helpers' ×3"
    assert detail.step_lines == []


def test_steps_come_in_pages_that_fit_the_budget(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        first = session_detail(store, STUCK_SESSIONS[0], "full", 0, 300)
        assert size(first) <= 300
        assert first.next_step is not None
        rest = session_detail(store, STUCK_SESSIONS[0], "steps", first.next_step, 1500)
    pages = [s.step for s in first.step_lines] + [s.step for s in rest.step_lines]
    assert pages == [0, 1, 2, 3]
    assert rest.next_step is None


def test_a_session_detail_asks_for_a_known_session_and_detail(planted: Path) -> None:
    with open_store(planted, read_only=True) as store:
        with pytest.raises(BadRequest, match="no session matches 'nope'"):
            session_detail(store, "nope", "brief", 0, 1500)
        with pytest.raises(BadRequest, match="detail must be one of"):
            session_detail(store, STUCK_SESSIONS[0], "everything", 0, 1500)
        assert session_detail(store, f"{FIXED_SESSIONS[0]}#0", "brief", 0, 1500).id == FIXED_SESSIONS[0]


def test_feedback_is_stored_against_the_session_a_hit_came_from(planted: Path) -> None:
    with open_store(planted) as store:
        receipt = record_vote(store, f"{FIXED_SESSIONS[0]}#0", "helpful", "ran it as a module")
        rows = store.query("SELECT target_id, target_kind, verdict, note FROM feedback")
    assert (receipt.target_kind, receipt.verdict) == ("session", "good")
    assert rows == [(FIXED_SESSIONS[0], "session", "good", "step 0: ran it as a module")]


def test_feedback_names_what_is_wrong_with_its_target_or_verdict(planted: Path) -> None:
    put_items(planted, "skills", SKILLS)
    with open_store(planted) as store:
        with pytest.raises(BadRequest, match="no replay 'R-009'"):
            record_vote(store, "R-009", "helpful", None)
        with pytest.raises(BadRequest, match="not patterns"):
            record_vote(store, "P-001", "helpful", None)
        with pytest.raises(BadRequest, match="verdict must be"):
            record_vote(store, "S-001", "great", None)
        assert record_vote(store, "S-001", "harmful", None).target_kind == "skill"
        assert store.query("SELECT verdict FROM feedback WHERE target_id = 'S-001'") == [("bad",)]


def test_an_ambiguous_session_prefix_is_said_with_its_candidates(planted: Path) -> None:
    with open_store(planted, read_only=True) as store, pytest.raises(BadRequest) as raised:
        session_detail(store, "57uck000", "brief", 0, 1500)
    message = str(raised.value)
    assert message.startswith("the id prefix '57uck000' is ambiguous")
    assert all(sid in message for sid in STUCK_SESSIONS)
