"""Ranking past fixes for a stuck step: hybrid signals, each one explained."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from retrieval.builders import (
    DISTRACTOR,
    FIXED_SESSIONS,
    PORT_FIXED,
    START,
    STUCK_SESSIONS,
    Call,
    fixed_module_session,
    ingest,
    module_error,
    port_session,
    put_items,
    write_session,
)

from trajectory_miner.mining.items import Replay, Skill, StepRef
from trajectory_miner.retrieval import MemoryIndex, StuckQuery, find_replays
from trajectory_miner.retrieval.episodes import Episode
from trajectory_miner.store import open_store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"


def module_query(**extra: object) -> StuckQuery:
    base: dict[str, object] = {
        "description": "the export script cannot import helpers",
        "error_text": module_error("export_9"),
        "recent_commands": ["python scripts/export_9.py"],
    }
    base.update(extra)
    return StuckQuery(**base)  # type: ignore[arg-type]


def index_of(database: Path) -> MemoryIndex:
    with open_store(database, read_only=True) as store:
        return MemoryIndex.build(store)


def test_the_fix_from_sessions_that_got_past_the_error_ranks_first_and_stuck_ones_become_dead_ends(
    planted_index: MemoryIndex,
) -> None:
    answer = find_replays(planted_index, module_query())
    top = answer.hits[0]
    assert top.kind == "session"
    assert top.session_ids[0] in FIXED_SESSIONS
    assert any("python -m scripts." in line for line in top.worked_next)
    assert not set(STUCK_SESSIONS) & {s for hit in answer.hits for s in hit.session_ids}
    assert any("pip install helpers" in line and "3 stuck sessions" in line for line in answer.dead_ends)
    assert answer.error_signature == "Bash|error|ModuleNotFoundError: No module named 'helpers'"


def test_each_hit_says_why_it_ranked(planted_index: MemoryIndex) -> None:
    top = find_replays(planted_index, module_query()).hits[0]
    reasons = " | ".join(top.reasons)
    assert "same error signature: ModuleNotFoundError: No module named 'helpers'" in reasons
    assert "got past it" in reasons
    assert "the same fix got past it in 2 sessions" in reasons
    assert set(top.session_ids) == set(FIXED_SESSIONS)
    assert 0.0 < top.confidence <= 1.0


def test_a_fix_for_another_error_with_shared_words_ranks_below_the_signature_match(
    planted_index: MemoryIndex,
) -> None:
    answer = find_replays(planted_index, module_query(k=5))
    ids = [hit.id.split("#")[0] for hit in answer.hits]
    assert ids[0] in FIXED_SESSIONS
    assert DISTRACTOR not in ids
    if PORT_FIXED in ids:
        assert ids.index(PORT_FIXED) > 0


def test_a_description_without_error_text_still_finds_the_fix_by_its_words(
    planted_index: MemoryIndex,
) -> None:
    answer = find_replays(planted_index, StuckQuery(description="EADDRINUSE address already in use on npm start"))
    assert answer.hits[0].session_ids == [PORT_FIXED]
    assert any("xargs kill" in line for line in answer.hits[0].worked_next)
    assert answer.error_signature is None


def test_an_unrelated_description_finds_nothing_and_says_what_was_searched(planted_index: MemoryIndex) -> None:
    answer = find_replays(planted_index, StuckQuery(description="kubernetes helm chart rollback"))
    assert answer.hits == []
    assert answer.note.startswith("nothing similar in the history")
    assert all(word in answer.note for word in ("kubernetes", "helm", "chart", "rollback"))


def test_a_failure_the_history_never_met_gets_no_hit_though_some_words_are_shared(
    planted_index: MemoryIndex,
) -> None:
    borrow = StuckQuery(
        description="cargo build fails: the borrow checker rejects the loop",
        error_text="error[E0502]: cannot borrow `items` as mutable because it is also borrowed as immutable\n"
        " --> src/main.rs:14:9",
        recent_commands=["cargo build"],
    )
    answer = find_replays(planted_index, borrow)
    assert answer.hits == []
    assert answer.dead_ends == []
    assert "nothing similar in the history" in answer.note
    assert "no stored failure has the error signature" in answer.note and "cannot borrow" in answer.note
    assert "borrow" in answer.note.split("words searched", 1)[1]


def test_a_bare_exit_code_is_no_signature_match(isolated_home: Path) -> None:
    projects = isolated_home / "t"
    for number in range(2):
        calls = [Call("make check", "", error=True), Call("make check", "all good")]
        write_session(projects, f"c{number}000000-0000-4000-8000-000000000001", "check", calls, start=START)
    database = isolated_home / "m.duckdb"
    ingest(database, projects)
    query = StuckQuery(description="the script stopped", error_text="Exit code 3", recent_commands=['bash -c "exit 3"'])
    answer = find_replays(index_of(database), query)
    assert answer.hits == []
    assert "says only that the command failed" in answer.note


def test_a_close_signature_of_the_same_family_matches_and_one_of_another_family_does_not(
    planted_index: MemoryIndex,
) -> None:
    nested = module_query(error_text=module_error("export_9").replace("'helpers'", "'helpers.fmt'"))
    reasons = find_replays(planted_index, nested).hits[0].reasons
    assert reasons[0].startswith("similar error signature (")
    # As alike in text, but a TypeError is not the network error the store got past.
    other = StuckQuery(
        description="npm start fails",
        error_text="TypeError: listen EADDRINUSE: address already in use :::4000",
        recent_commands=["npm start"],
    )
    hits = find_replays(planted_index, other).hits
    assert hits and hits[0].session_ids == [PORT_FIXED]
    assert not any("signature" in reason for reason in hits[0].reasons)
    assert any(reason.startswith("text match (") for reason in hits[0].reasons)


def test_text_matches_are_judged_against_the_store_never_against_the_best_hit(planted_index: MemoryIndex) -> None:
    def text_share(description: str) -> int:
        hit = find_replays(planted_index, StuckQuery(description=description)).hits[0]
        assert hit.session_ids == [PORT_FIXED]
        (reason,) = [r for r in hit.reasons if r.startswith("text match (")]
        assert "of the best" not in reason
        return int(reason.removeprefix("text match (").split("%", 1)[0])

    plain = text_share("EADDRINUSE address already in use on npm start")
    # Words the store never saw make the same best hit a weaker match.
    assert text_share("EADDRINUSE address already in use on npm start in the staging container") < plain


def test_the_same_project_breaks_a_tie_between_equal_fixes(isolated_home: Path) -> None:
    projects = isolated_home / "t"
    write_session(
        projects,
        "aaaa0000-0000-4000-8000-000000000001",
        "run",
        fixed_module_session("a"),
        cwd="/work/alpha",
        start=START,
    )
    write_session(
        projects,
        "bbbb0000-0000-4000-8000-000000000001",
        "run",
        [
            *fixed_module_session("a"),
        ],
        cwd="/work/beta",
        start=START,
    )
    database = isolated_home / "m.duckdb"
    ingest(database, projects)
    index = index_of(database)
    for project, expected in (("alpha", "aaaa"), ("/work/beta", "bbbb")):
        hit = find_replays(index, module_query(project=project)).hits[0]
        assert hit.session_ids[0].startswith(expected)
        assert "same project" in hit.reasons


def test_harmful_feedback_sinks_a_fix_below_an_equal_one_and_helpful_feedback_is_shown(
    isolated_home: Path,
) -> None:
    projects = isolated_home / "t"
    first, second = "aaaa0000-0000-4000-8000-00000000000a", "bbbb0000-0000-4000-8000-00000000000b"
    write_session(projects, first, "start", port_session(3000, fixed=True), start=START + timedelta(days=1))
    write_session(projects, second, "start", port_session(3000, fixed=True), start=START)
    database = isolated_home / "m.duckdb"
    ingest(database, projects)
    query = StuckQuery(description="npm start fails", error_text="Error: listen EADDRINUSE: address already in use")
    before = find_replays(index_of(database), query).hits
    assert before[0].session_ids[0] == first
    with open_store(database) as store:
        for verdict, target in (("harmful", first), ("helpful", second)):
            store.execute(
                "INSERT INTO feedback VALUES (?, ?, 'session', ?, '', now()::TIMESTAMP)",
                [f"F-{verdict}", target, verdict],
            )
    after = find_replays(index_of(database), StuckQuery(**{**query.__dict__, "k": 3})).hits
    by_session = {hit.session_ids[0]: hit for hit in after}
    assert after[0].session_ids[0] == second
    assert "marked good 1×" in by_session[second].reasons


def test_mined_replays_and_approved_skills_are_hits_and_candidate_skills_are_not(planted: Path) -> None:
    signature = "Bash|exit1|ModuleNotFoundError: No module named 'helpers'"
    replay = Replay(
        id="R-001",
        cluster_key="module",
        stuck_session=STUCK_SESSIONS[0],
        stuck_at=StepRef(session_id=STUCK_SESSIONS[0], turn_index=1, step_index=0),
        signature=signature,
        successful_session=FIXED_SESSIONS[0],
        next_steps=["python -m scripts.<name> from the repo root"],
        expected_improvement="run scripts as modules",
        confidence=0.9,
    )
    skills = [
        Skill(
            id="S-001",
            cluster_key="run-module",
            name="run-scripts-as-modules",
            description="Run scripts as modules",
            trigger="ModuleNotFoundError for a repo package",
            steps=["cd to the repo root", "python -m pkg.mod"],
            signatures=[signature],
            status="approved",
            support=3,
            success_rate=1.0,
        ),
        Skill(
            id="S-002",
            cluster_key="guess",
            name="guess",
            description="Install the package",
            trigger="ModuleNotFoundError",
            steps=["pip install it"],
            signatures=[signature],
            status="candidate",
        ),
    ]
    put_items(planted, "replays", [replay])
    put_items(planted, "skills", skills)
    hits = find_replays(index_of(planted), module_query(k=5)).hits
    kinds = {hit.id: hit.kind for hit in hits}
    assert kinds.get("R-001") == "replay"
    assert kinds.get("S-001") == "skill"
    assert "S-002" not in kinds
    skill = next(hit for hit in hits if hit.id == "S-001")
    assert skill.worked_next == ["cd to the repo root", "python -m pkg.mod"]
    assert any("approved skill" in reason for reason in skill.reasons)


def test_recorded_claude_sessions_give_the_planted_module_fix_first(isolated_home: Path) -> None:
    labels = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))
    database = isolated_home / "m.duckdb"
    ingest(database, *(FIXTURES / name for name in labels))
    answer = find_replays(
        index_of(database),
        StuckQuery(
            description="running the script fails to import its package",
            error_text="Traceback (most recent call last):\nModuleNotFoundError: No module named 'helpers'",
            recent_commands=["python scripts/report_sales.py"],
        ),
    )
    assert answer.hits, answer.note
    assert " -m " in answer.hits[0].worked_next[-1]
    assert answer.dead_ends


def test_newer_sessions_rank_above_older_equal_ones(isolated_home: Path) -> None:
    projects = isolated_home / "t"
    write_session(projects, "01d00000-0000-4000-8000-000000000001", "run", fixed_module_session("a"), start=START)
    write_session(
        projects,
        "9e300000-0000-4000-8000-000000000001",
        "run",
        fixed_module_session("b"),
        start=START + timedelta(days=90),
    )
    database = isolated_home / "m.duckdb"
    ingest(database, projects)
    hits = find_replays(index_of(database), module_query(k=2)).hits
    assert hits[0].session_ids[0].startswith("9e3")


def test_the_asking_session_is_neither_a_fix_nor_a_dead_end_of_its_own_question(planted_index: MemoryIndex) -> None:
    asking = STUCK_SESSIONS[0]
    answer = find_replays(planted_index, module_query(exclude_sessions=frozenset({asking})))
    assert any("pip install helpers" in line and "2 stuck sessions" in line for line in answer.dead_ends)
    alone = find_replays(planted_index, module_query(exclude_sessions=frozenset(FIXED_SESSIONS)))
    assert not set(FIXED_SESSIONS) & {s for hit in alone.hits for s in hit.session_ids}


def test_a_failure_only_the_asking_session_has_met_is_nothing_similar(planted_index: MemoryIndex) -> None:
    everyone = frozenset(e.session for e in planted_index.items.values() if isinstance(e, Episode))
    answer = find_replays(planted_index, module_query(exclude_sessions=everyone))
    assert answer.hits == [] and answer.dead_ends == []
    assert answer.note.startswith("nothing similar in the history")
