import re
from fractions import Fraction

import orjson
import pytest

from mining.stores import ALL, CLEAN, FIXED, ONE_OFF, STUCK, MiningStore, card
from trajectory_miner.mining import mine, render_markdown
from trajectory_miner.mining.items import load_incidents, load_patterns, load_replays, load_skills
from trajectory_miner.mining.questions import QUESTIONS
from trajectory_miner.mining.report import MiningReport
from trajectory_miner.scoring.card import save_scorecards

JEST = "jest: command not found"


def planted(report: MiningReport) -> list:  # type: ignore[type-arg]
    return [p for p in report.patterns if p.cluster_key == "sig:" + JEST]


def test_the_planted_failure_is_a_pattern_over_exactly_the_sessions_that_hit_it(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    (pattern,) = planted(report)
    assert sorted(mining_store.name(s) for s in pattern.sessions) == sorted(STUCK + FIXED)
    assert pattern.frequency == 5
    assert (pattern.failing_sessions, pattern.succeeding_sessions) == (3, 2)
    assert "command_not_found" in pattern.failure_types
    # Variants of one command (`npm test`, `npm test -- cart`) are one target.
    assert {"npm test", "npm run test"} == set(pattern.affected_targets)
    assert set(pattern.example_sessions[:3]) == {mining_store.ids[n] for n in STUCK}
    assert pattern.suggested_fix_type == "skill_update"
    assert pattern.dimensions and pattern.severity in ("high", "critical")


def test_lift_and_p_value_follow_from_how_the_pattern_splits_failing_and_succeeding_sessions(
    mining_store: MiningStore,
) -> None:
    (pattern,) = planted(mine(mining_store.store))
    # 3 of 3 failing sessions and 2 of 4 succeeding ones: P(X >= 3) = C(5,3) C(2,0) / C(7,3).
    assert pattern.p_value == pytest.approx(float(Fraction(10, 35)), abs=1e-6)
    assert pattern.lift == pytest.approx((3.5 / 4) / (2.5 / 5), abs=1e-3)


def test_a_failure_seen_in_one_session_is_an_incident_and_never_a_pattern(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    one_off = mining_store.ids[ONE_OFF]
    (incident,) = [i for i in report.incidents if i.session_id == one_off]
    assert "OperationalError" in incident.signature
    assert not any(one_off in p.sessions for p in report.patterns)


def test_the_two_fixes_merge_into_one_generalised_candidate_skill(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    (skill,) = [s for s in report.skills if s.cluster_key.startswith("fix:")]
    assert sorted(mining_store.name(s) for s in skill.source_sessions) == sorted(FIXED)
    assert (skill.support, skill.success_rate, skill.status) == (2, 1.0, "candidate")
    assert skill.steps[0] == "Install what is missing: `npm install`" and skill.steps[-1].startswith("Run `npm test")
    assert JEST in skill.trigger and skill.tools_used == ["Bash"]
    assert re.match(r"S-\d{3}$", skill.id)
    text = " ".join([skill.description, skill.trigger, *skill.steps, *skill.context_requirements])
    for specific in ("/home/", "/Users/", "discount", "cart", "shop", "storefront", mining_store.ids[FIXED[0]]):
        assert specific not in text


def test_skills_come_only_from_sessions_scoring_at_least_0_85_everywhere(mining_store: MiningStore) -> None:
    save_scorecards(mining_store.store, [card(mining_store.ids[n], "success", 0.84) for n in FIXED])
    report = mine(mining_store.store)
    assert [s for s in report.skills if s.cluster_key.startswith("fix:")] == []


def test_a_failure_met_in_one_session_only_makes_no_skill(mining_store: MiningStore) -> None:
    save_scorecards(mining_store.store, [card(mining_store.ids[ONE_OFF], "success", 0.95)])
    assert [s for s in mine(mining_store.store).skills if "OperationalError" in s.trigger] == []


def test_each_stuck_session_gets_a_replay_pointing_at_the_fix_that_worked(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    (skill,) = [s for s in report.skills if s.cluster_key.startswith("fix:")]
    by_session = {r.stuck_session: r for r in report.replays}
    assert set(by_session) == {mining_store.ids[n] for n in STUCK}
    for replay in by_session.values():
        assert replay.successful_pattern == skill.id
        assert replay.successful_session in {mining_store.ids[n] for n in FIXED}
        assert replay.next_steps == skill.steps
        assert replay.stuck_reason == "repeated_error" and replay.stuck_at.session_id == replay.stuck_session
        assert 0 < replay.confidence <= 0.95
        assert "got past" in replay.expected_improvement
    stuck_a = by_session[mining_store.ids[STUCK[0]]]
    assert (stuck_a.stuck_at.turn_index, stuck_a.stuck_at.step_index) == (0, 1)


def test_without_a_skill_a_replay_points_at_the_session_fragment_that_got_past(mining_store: MiningStore) -> None:
    save_scorecards(mining_store.store, [card(mining_store.ids[n], "success", 0.8) for n in FIXED])
    report = mine(mining_store.store)
    for replay in report.replays:
        assert replay.successful_session in {mining_store.ids[n] for n in FIXED}
        assert replay.successful_pattern.startswith(replay.successful_session + "#t0:")
        assert replay.next_steps[0] == "Run `npm install`"


def test_every_pattern_gets_the_five_questions_and_open_ones_are_listed(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    (pattern,) = planted(report)
    answers = {q.question: q for q in pattern.self_questions}
    assert [q.question for q in pattern.self_questions] == list(QUESTIONS)
    assert answers[QUESTIONS[3]].answer == "no"  # seen with two models
    assert "claude-opus-4-6" in answers[QUESTIONS[3]].explanation
    assert answers[QUESTIONS[4]].answer == "no"  # no compaction or API error before it
    assert answers[QUESTIONS[2]].answer == "yes" and report.skills[0].id in answers[QUESTIONS[2]].explanation
    assert answers[QUESTIONS[0]].answer == "no"
    opened = {(o.pattern_id, o.question) for o in report.open_questions}
    expected = {(p.id, q.question) for p in report.patterns for q in p.self_questions if q.answer == "open"}
    assert opened == expected and (pattern.id, QUESTIONS[1]) in opened


def test_ids_stay_the_same_from_one_run_to_the_next(mining_store: MiningStore) -> None:
    first = mine(mining_store.store)
    second = mine(mining_store.store)
    for kind in ("patterns", "incidents", "skills", "replays"):
        before = {i.cluster_key: i.id for i in getattr(first, kind)}
        after = {i.cluster_key: i.id for i in getattr(second, kind)}
        assert before == after and before
    assert second.sessions_processed == 0 and second.sessions_cached == len(ALL)


def test_a_second_run_after_a_new_session_reads_only_that_session(empty_mining_store: MiningStore) -> None:
    store = empty_mining_store
    store.add([n for n in ALL if n != STUCK[2]])
    first = mine(store.store)
    store.add([STUCK[2]])
    second = mine(store.store)
    assert first.sessions_processed == len(ALL) - 1
    assert second.sessions_processed == 1 and second.sessions_cached == len(ALL) - 1
    (pattern,) = planted(second)
    assert pattern.id == planted(first)[0].id and pattern.frequency == 5


def test_mined_items_are_stored_for_other_readers(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    assert [p.id for p in load_patterns(mining_store.store)] == [p.id for p in report.patterns]
    assert [i.id for i in load_incidents(mining_store.store)] == [i.id for i in report.incidents]
    assert [s.id for s in load_skills(mining_store.store)] == [s.id for s in report.skills]
    assert [r.id for r in load_replays(mining_store.store)] == [r.id for r in report.replays]


def _set_skill(store: MiningStore, skill_id: str, **changes: object) -> None:
    (data,) = store.store.query("SELECT data FROM skills WHERE id = ?", [skill_id])[0]
    updated = {**orjson.loads(data), **changes}
    store.store.execute("UPDATE skills SET data = ? WHERE id = ?", [orjson.dumps(updated).decode(), skill_id])


def _forget(store: MiningStore, names: tuple[str, ...]) -> None:
    ids = [store.ids[n] for n in names]
    store.store.execute(
        "DELETE FROM files WHERE path IN (SELECT transcript_path FROM sessions "
        "WHERE session_id IN (SELECT unnest($1::VARCHAR[])))",
        [ids],
    )
    for table in ("steps", "turns", "events", "responses", "scores", "dimension_scores", "sessions"):
        store.store.execute(f"DELETE FROM {table} WHERE session_id IN (SELECT unnest($1::VARCHAR[]))", [ids])


def test_a_run_keeps_the_status_and_counters_others_gave_a_skill(mining_store: MiningStore) -> None:
    (skill,) = [s for s in mine(mining_store.store).skills if s.cluster_key.startswith("fix:")]
    _set_skill(mining_store, skill.id, status="approved", uses=4, successes=3, description="Reviewed wording.")
    (again,) = [s for s in mine(mining_store.store).skills if s.cluster_key.startswith("fix:")]
    assert (again.id, again.status, again.uses, again.successes) == (skill.id, "approved", 4, 3)
    assert again.description == "Reviewed wording." and again.support == 2


def test_a_full_run_removes_what_it_no_longer_finds_but_never_a_reviewed_skill(mining_store: MiningStore) -> None:
    first = mine(mining_store.store)
    workflow = [s for s in first.skills if not s.cluster_key.startswith("fix:")]
    (fix,) = [s for s in first.skills if s.cluster_key.startswith("fix:")]
    _set_skill(mining_store, fix.id, status="exported")
    _forget(mining_store, STUCK + FIXED)
    second = mine(mining_store.store)
    assert planted(second) == [] and second.replays == []
    assert [s.id for s in load_skills(mining_store.store)] == [fix.id]
    assert second.removed["patterns"] >= 1 and second.removed["replays"] == 3
    assert second.removed["skills"] == len(workflow)
    assert second.removed["cached_features"] == 5


def test_a_scoped_run_adds_and_updates_without_removing_anything(mining_store: MiningStore) -> None:
    full = mine(mining_store.store)
    scoped = mine(mining_store.store, project="/home/dev/work/shop-api")
    assert [i.session_id for i in scoped.incidents] == [mining_store.ids[ONE_OFF]]
    assert scoped.patterns == [] and scoped.removed == {"patterns": 0, "incidents": 0, "skills": 0, "replays": 0}
    assert [p.id for p in load_patterns(mining_store.store)] == [p.id for p in full.patterns]


def test_new_clusters_never_reuse_the_id_of_a_removed_one(mining_store: MiningStore) -> None:
    first = mine(mining_store.store)
    old = planted(first)[0].id
    _forget(mining_store, STUCK + FIXED)
    mine(mining_store.store)
    mining_store.add(STUCK + FIXED)
    third = mine(mining_store.store)
    assert planted(third)[0].id not in {p.id for p in first.patterns}
    assert int(planted(third)[0].id[2:]) > int(old[2:])


def test_the_markdown_report_names_every_kind_of_finding(mining_store: MiningStore) -> None:
    report = mine(mining_store.store)
    text = render_markdown(report)
    (pattern,) = planted(report)
    for needle in (pattern.id, report.incidents[0].id, report.skills[0].id, report.replays[0].id, "Fisher"):
        assert needle in text
    assert text.count("| " + QUESTIONS[0]) == len(report.patterns)
    assert mining_store.ids[CLEAN] not in text
