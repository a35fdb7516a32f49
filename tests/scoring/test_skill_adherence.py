from collections.abc import Callable

from scoring.builders import bash, event, evidence, session, tool

from trajectory_miner.mining.items import Skill
from trajectory_miner.scoring import score_session
from trajectory_miner.scoring.adherence import Expectation, expectations
from trajectory_miner.scoring.card import Scorecard

Card = Callable[..., Scorecard]


def _skill(status: str = "approved", **fields: object) -> Skill:
    data = {
        "id": "S-001",
        "cluster_key": "k",
        "name": "calc-fix",
        "description": "Fix a wrong statistic in calc.py",
        "trigger": "mean in calc.py gives wrong answers",
        "steps": ["Run `python -m pytest -q` after the edit."],
        "status": status,
    }
    data.update(fields)
    return Skill.model_validate(data)


def test_no_skill_in_play_is_not_applicable_and_scores_one(card: Card) -> None:
    adherence = card("clean_fix_tests_pass").dimensions["skill_adherence"]
    assert (adherence.score, adherence.applicable) == (1.0, False)


def test_a_loaded_skill_whose_steps_were_followed_scores_one(card: Card) -> None:
    scored = card("skill_followed")
    adherence = scored.dimensions["skill_adherence"]
    assert (adherence.score, adherence.applicable) == (1.0, True)
    facts = [e.fact for e in adherence.evidence]
    assert any("npm test seen" in f for f in facts) and any("CHANGELOG.md seen" in f for f in facts)


def test_a_loaded_skill_whose_steps_were_skipped_scores_low_pointing_at_the_load(card: Card) -> None:
    scored = card("skill_ignored")
    assert scored.score("skill_adherence") == 0.0
    items = evidence(scored, "skill_adherence")
    assert {e.step_index for e in items} == {0}
    assert sorted(e.fact.split(": ", 1)[1] for e in items) == [
        "command npm test never seen after it",
        "file CHANGELOG.md never seen after it",
    ]


def test_an_approved_skill_whose_trigger_matches_the_request_is_in_play(card: Card) -> None:
    followed = card("clean_fix_tests_pass", skills=[_skill()])
    assert followed.dimensions["skill_adherence"].applicable and followed.score("skill_adherence") == 1.0
    skipped = card("clean_fix_tests_pass", skills=[_skill(steps=["Run `make lint` before the tests."])])
    assert skipped.score("skill_adherence") == 0.0


def test_a_candidate_skill_is_never_in_play(card: Card) -> None:
    scored = card("clean_fix_tests_pass", skills=[_skill(status="candidate")])
    assert not scored.dimensions["skill_adherence"].applicable


def test_a_skill_comes_into_play_when_its_error_signature_turns_up() -> None:
    failing = bash("python run.py", "ModuleNotFoundError: No module named 'helpers'", code=1)
    signature = failing.error_signature or ""
    skill = _skill(trigger="", steps=["Run it as a module: `python -m scripts.run`"], signatures=[signature])
    fixed = session(failing, bash("python -m scripts.run", "ok"))
    stuck = session(failing, bash("ls"))
    assert score_session(fixed, skills=[skill]).score("skill_adherence") == 1.0
    assert score_session(stuck, skills=[skill]).score("skill_adherence") == 0.0


def test_the_steps_of_a_skill_body_cut_short_by_storage_are_judged_up_to_the_cut() -> None:
    body = "Base directory for this skill: /w/.claude/skills/notes\n\n1. Run `npm test` first.\n2. Then upd" + "x" * 200
    loaded = session(
        tool("Skill", skill="notes", result="Launching skill: notes"),
        bash("npm test", "Tests: 3 passed, 3 total"),
        events=(event("meta", step=0, detail=body[:200]),),
    )
    loaded.turns[0].steps[0].skill_name = "notes"
    adherence = score_session(loaded).dimensions["skill_adherence"]
    assert adherence.applicable and adherence.score == 1.0 and len(adherence.evidence) == 1


def test_expectations_are_the_commands_files_and_tools_a_skills_steps_name() -> None:
    found = expectations(
        [
            "1. Run `python -m pytest -q` and stop if anything fails.",
            "2. Add a `## <version>` section at the top of CHANGELOG.md.",
            '3. Set `__version__ = "<version>"` in `version.py`.',
        ],
        tools=("Edit",),
    )
    assert [(e.kind, e.value) for e in found] == [
        ("command", "python -m pytest -q"),
        ("file", "CHANGELOG.md"),
        ("file", "version.py"),
        ("tool", "Edit"),
    ]
    assert all(isinstance(e, Expectation) for e in found)
