import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from skillkit import ingest_session, make_skill, put_skills, score, transcript_lines

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.mining.items import load_skills
from trajectory_miner.scoring.adherence import in_play
from trajectory_miner.scoring.facts import session_facts
from trajectory_miner.sessions import load_session, session_ids
from trajectory_miner.skills.export import export_skills
from trajectory_miner.skills.lifecycle import approve, retirement_proposed
from trajectory_miner.skills.usage import track_usage
from trajectory_miner.store import Store

SCENARIOS = Path(__file__).resolve().parents[1] / "fixtures" / "scenarios"
EARLY = datetime(2020, 1, 1, tzinfo=UTC)
LATE = datetime(2030, 1, 1, tzinfo=UTC)


def _exported(store: Store, tmp_path: Path, when: datetime = EARLY, **fields: object) -> None:
    put_skills(store, make_skill(status="approved", **fields))
    export_skills(store, tmp_path / "skills", now=when)


def _loads(session_id: str, skill: str = "release-notes", failed: bool = False) -> list[str]:
    return transcript_lines(
        session_id,
        "Prepare the release notes for 2.0",
        [
            ("Skill", {"skill": skill}, f"Launching skill: {skill}", failed),
            ("Read", {"file_path": "/w/a.md"}, "x", False),
        ],
    )


def test_a_recorded_session_that_loads_the_exported_skill_counts_as_a_use(store: Store, tmp_path: Path) -> None:
    scenario = SCENARIOS / "partial_skill_ignored.jsonl"
    if not scenario.exists():
        pytest.skip("the scenario transcripts are not generated yet")
    _exported(store, tmp_path, name="release-notes")
    shutil.copy(scenario, tmp_path / "s.jsonl")
    ingest_paths(store, [tmp_path / "s.jsonl"], Config())
    (sid,) = session_ids(store)
    score(store, sid, "success")
    (use,) = track_usage(store, [sid])
    assert (use.skill_id, use.session_id, use.how, use.success) == ("S-001", sid, "loaded", True)
    (skill,) = load_skills(store)
    assert (skill.uses, skill.successes) == (1, 1)


def test_tracking_the_same_session_twice_counts_it_once(store: Store, tmp_path: Path) -> None:
    _exported(store, tmp_path, name="release-notes")
    ingest_session(store, tmp_path / "projects", "sess-a", _loads("sess-a"))
    score(store, "sess-a", "success")
    assert len(track_usage(store, ["sess-a"])) == 1
    assert track_usage(store, ["sess-a", "sess-a"]) == []
    (skill,) = load_skills(store)
    assert (skill.uses, skill.successes) == (1, 1)


def test_a_rescored_session_updates_its_use_without_counting_it_again(store: Store, tmp_path: Path) -> None:
    _exported(store, tmp_path, name="release-notes")
    ingest_session(store, tmp_path / "projects", "sess-a", _loads("sess-a"))
    score(store, "sess-a", "success")
    track_usage(store, ["sess-a"])
    score(store, "sess-a", "failure")
    (use,) = track_usage(store, ["sess-a"])
    assert use.success is False
    (skill,) = load_skills(store)
    assert (skill.uses, skill.successes) == (1, 0)


def test_a_plugin_namespaced_load_matches_the_exported_name(store: Store, tmp_path: Path) -> None:
    _exported(store, tmp_path, name="release-notes")
    ingest_session(store, tmp_path / "projects", "sess-a", _loads("sess-a", skill="shop:release-notes"))
    score(store, "sess-a", "partial")
    (use,) = track_usage(store, ["sess-a"])
    assert (use.how, use.success) == ("loaded", False)


@pytest.mark.parametrize(
    ("skill", "failed", "source", "exported_at", "scored"),
    [
        ("other-skill", False, False, EARLY, True),
        ("release-notes", True, False, EARLY, True),
        ("release-notes", False, True, EARLY, True),
        ("release-notes", False, False, LATE, True),
        ("release-notes", False, False, EARLY, False),
    ],
    ids=["another skill", "failed load", "source session", "before the export", "not scored"],
)
def test_sessions_that_cannot_count_as_a_use_are_not_counted(
    store: Store, tmp_path: Path, skill: str, failed: bool, source: bool, exported_at: datetime, scored: bool
) -> None:
    sources = ["sess-a"] if source else []
    _exported(store, tmp_path, exported_at, name="release-notes", source_sessions=sources)
    ingest_session(store, tmp_path / "projects", "sess-a", _loads("sess-a", skill=skill, failed=failed))
    if scored:
        score(store, "sess-a", "success")
    assert track_usage(store, ["sess-a"]) == []
    assert load_skills(store)[0].uses == 0


def test_a_session_that_followed_the_steps_for_a_matching_request_counts_as_a_weaker_use(
    store: Store, tmp_path: Path
) -> None:
    _exported(
        store,
        tmp_path,
        name="release-steps",
        trigger="A request to release a new version of the package",
        steps=["Edit `CHANGELOG.md`", "Run `python -m pytest -q`", "Run `git tag v<n>`"],
        tools_used=["Edit", "Bash"],
    )
    calls = [
        ("Edit", {"file_path": "/w/CHANGELOG.md", "old_string": "a", "new_string": "b"}, "ok", False),
        ("Bash", {"command": "python -m pytest -q tests/"}, "3 passed", False),
        ("Bash", {"command": "git tag v2.0.0"}, "", False),
    ]
    prompt = "Please release version 2.0 of the package"
    ingest_session(store, tmp_path / "projects", "followed", transcript_lines("followed", prompt, calls))
    ingest_session(store, tmp_path / "projects", "reordered", transcript_lines("reordered", prompt, calls[::-1]))
    ingest_session(store, tmp_path / "projects", "other", transcript_lines("other", "Fix the login page", calls))
    for sid in ("followed", "reordered", "other"):
        score(store, sid, "success")
    uses = track_usage(store, ["followed", "reordered", "other"])
    assert [(u.session_id, u.how) for u in uses] == [("followed", "followed")]


def test_three_uses_that_mostly_failed_propose_the_skill_for_retirement(store: Store, tmp_path: Path) -> None:
    _exported(store, tmp_path, name="release-notes")
    for sid, outcome in [("s1", "failure"), ("s2", "success"), ("s3", "partial")]:
        ingest_session(store, tmp_path / "projects", sid, _loads(sid))
        score(store, sid, outcome)
    track_usage(store, ["s1", "s2"])
    assert not retirement_proposed(load_skills(store)[0])
    track_usage(store, ["s3"])
    (skill,) = load_skills(store)
    assert (skill.uses, skill.successes) == (3, 1)
    assert retirement_proposed(skill)


def test_skill_adherence_judges_a_loaded_skill_by_its_steps_once_it_is_approved(store: Store, tmp_path: Path) -> None:
    put_skills(store, make_skill(name="release-notes"))
    ingest_session(store, tmp_path / "projects", "sess-a", _loads("sess-a"))
    session = load_session(store, "sess-a")
    assert session is not None
    facts = session_facts(session)
    (before,) = in_play(facts, load_skills(store))
    assert before.expectations == ()
    approve(store, "S-001")
    (after,) = in_play(facts, load_skills(store))
    assert after.name == "release-notes"
    assert {e.value for e in after.expectations} >= {"CHANGELOG.md", "python -m pytest -q"}
