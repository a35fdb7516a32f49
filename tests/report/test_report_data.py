"""Gathering the report's figures from a small store whose every number is known."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.report.corpus import FIXTURES, A, B, C, D, card
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.report import data as report_data
from trajectory_miner.report.data import ReportData, gather
from trajectory_miner.scoring import rescore_sessions, stale_session_ids
from trajectory_miner.scoring.card import save_scorecards
from trajectory_miner.sessions import resolve_session_id
from trajectory_miner.store import open_store

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)


def gathered(database: Path, **filters: object) -> ReportData:
    with open_store(database, read_only=True) as store:
        return gather(store, now=NOW, **filters)  # type: ignore[arg-type]


def test_headline_counts_sessions_outcomes_tool_calls_and_tokens(small_store: Path) -> None:
    head = gathered(small_store).headline
    assert (head.sessions, head.projects, head.scored, head.known_outcome, head.successes) == (4, 2, 3, 3, 1)
    assert head.success_rate == pytest.approx(1 / 3, abs=1e-4)
    assert head.mean_overall == pytest.approx(0.6)
    assert (head.tool_calls, head.tool_errors) == (6, 2)
    assert head.tool_error_rate == pytest.approx(2 / 6, abs=1e-4)
    # Ten API responses (one per call plus each session's last answer), each 100 in, 20 out,
    # 1000 cache read and 50 cache written.
    assert (head.input_tokens, head.output_tokens, head.cache_read_tokens, head.cache_creation_tokens) == (
        1000,
        200,
        10000,
        500,
    )
    assert head.tokens == 11700
    assert (head.first_session, head.last_session) == (
        datetime(2026, 10, 5, 9, tzinfo=UTC),
        datetime(2026, 10, 15, 9, tzinfo=UTC),
    )


def test_weeks_start_on_monday_and_average_only_the_dimensions_that_apply(small_store: Path) -> None:
    weeks = gathered(small_store).weeks
    assert [w.week for w in weeks] == [date(2026, 10, 5), date(2026, 10, 12)]
    assert [w.sessions for w in weeks] == [2, 2]
    assert weeks[0].outcomes == {"success": 1, "partial": 0, "failure": 1, "unknown": 0, "unscored": 0}
    assert weeks[1].outcomes == {"success": 0, "partial": 1, "failure": 0, "unknown": 0, "unscored": 1}
    assert [w.overall for w in weeks] == [pytest.approx(0.6), pytest.approx(0.6)]
    assert [w.dimensions["task_completion"] for w in weeks] == [pytest.approx(0.6), pytest.approx(0.5)]
    # Scored 0 in every card, but never applicable: no mean rather than a mean of 0.
    assert [w.dimensions["skill_adherence"] for w in weeks] == [None, None]
    assert [w.scored["task_completion"] for w in weeks] == [2, 1]


def test_quiet_weeks_between_busy_ones_are_kept_empty(small_store: Path) -> None:
    with open_store(small_store) as store:
        store.execute("UPDATE sessions SET started_at = started_at + INTERVAL 21 DAY WHERE session_id = ?", [D])
    weeks = gathered(small_store).weeks
    assert [w.week for w in weeks] == [
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 19),
        date(2026, 10, 26),
        date(2026, 11, 2),
    ]
    assert [w.sessions for w in weeks] == [2, 1, 0, 0, 1]
    assert weeks[2].overall is None and sum(weeks[2].outcomes.values()) == 0


def test_only_the_latest_weeks_are_kept_and_the_rest_counted(
    small_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_data, "MAX_WEEKS", 1)
    found = gathered(small_store)
    assert [w.week for w in found.weeks] == [date(2026, 10, 12)]
    assert found.weeks_omitted == 1


def test_patterns_come_most_frequent_first_and_skills_count_their_uses(small_store: Path) -> None:
    found = gathered(small_store)
    assert [(p.id, p.frequency, p.lift) for p in found.patterns] == [("P-002", 5, None), ("P-001", 2, 3.5)]
    assert found.patterns_total == 2
    [skill] = found.skills
    assert (skill.id, skill.uses, skill.successes, skill.use_success_rate, skill.support) == ("S-001", 2, 1, 0.5, 1)


def test_a_project_filter_narrows_sessions_patterns_and_skill_uses(small_store: Path) -> None:
    found = gathered(small_store, project="/work/alpha")
    assert found.headline.sessions == 2 and found.headline.tool_calls == 5
    assert [p.id for p in found.patterns] == ["P-001"]
    [skill] = found.skills
    assert (skill.uses, skill.use_success_rate) == (0, None)
    assert {r.session_id for r in found.recent_sessions} == {A, B}


def test_a_since_filter_keeps_later_sessions_only(small_store: Path) -> None:
    found = gathered(small_store, since=datetime(2026, 10, 12, tzinfo=UTC))
    assert found.headline.sessions == 2
    assert [w.week for w in found.weeks] == [date(2026, 10, 12)]
    assert [p.id for p in found.patterns] == ["P-002"]
    assert found.skills[0].uses == 2
    assert found.filters.since == datetime(2026, 10, 12, tzinfo=UTC)


def test_session_tables_list_the_lowest_scores_and_the_newest_sessions(small_store: Path) -> None:
    found = gathered(small_store)
    assert [(r.session_id, r.overall, r.outcome) for r in found.lowest_sessions] == [
        (B, 0.3, "failure"),
        (C, 0.6, "partial"),
        (A, 0.9, "success"),
    ]
    assert [r.session_id for r in found.recent_sessions] == [D, C, B, A]
    first = found.recent_sessions[-1]
    assert (first.turns, first.steps, first.tool_errors) == (1, 3, 1)
    assert first.title.startswith("<script>")


def test_short_ids_are_at_least_eight_long_and_name_one_session(small_store: Path) -> None:
    found = gathered(small_store)
    assert set(found.short_ids) == {A, B, C, D}
    with open_store(small_store, read_only=True) as store:
        for full, short in found.short_ids.items():
            assert len(short) >= 8 and full.startswith(short)
            assert resolve_session_id(store, short) == full


def test_subagent_runs_count_toward_tool_calls_and_tokens_but_not_sessions(tmp_path: Path) -> None:
    project = tmp_path / "projects" / "-work-demo"
    shutil.copytree(FIXTURES / "transcripts" / "project-every-entry", project)
    database = tmp_path / "m.duckdb"
    with open_store(database) as store:
        ingest_paths(store, [project], Config())
        all_steps = store.scalar("SELECT count(*) FROM steps")
        all_tokens = store.scalar(
            "SELECT sum(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) FROM responses"
        )
        sidechains = store.scalar("SELECT count(*) FROM sessions WHERE is_sidechain")
    found = gathered(database)
    assert sidechains == 1 and found.headline.sessions == 1
    assert found.headline.tool_calls == all_steps == 8
    assert found.headline.tokens == all_tokens


def test_a_store_without_sessions_gives_zeros_and_no_weeks(tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    with open_store(database):
        pass
    found = gathered(database)
    assert found.headline.sessions == 0 and found.headline.success_rate is None
    assert found.weeks == [] and found.patterns == [] and found.recent_sessions == []


def _metadata_only_session(projects: Path, session_id: str) -> Path:
    """A transcript whose lines name a session but hold no request: a session with no turns."""
    path = projects / "-work-alpha" / f"{session_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {"type": "queue-operation", "operation": "dequeue", "timestamp": "2026-10-06T09:00:00.000Z"},
        {"type": "permission-mode", "permissionMode": "default"},
        {"type": "attachment", "cwd": "/work/alpha", "timestamp": "2026-10-06T09:00:01.000Z"},
    ]
    path.write_text("".join(json.dumps({**line, "sessionId": session_id}) + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_session_with_no_turns_gets_no_card_and_is_out_of_every_figure(small_store: Path, tmp_path: Path) -> None:
    before = gathered(small_store)
    empty = "eeeeeeee-0000-4000-8000-00000000000e"
    with open_store(small_store) as store:
        ingest_paths(store, [_metadata_only_session(tmp_path / "more", empty)], Config())
        assert store.scalar("SELECT count(*) FROM turns WHERE session_id = ?", [empty]) == 0
        # A card an earlier version gave it (0.89, outcome unknown) is taken away by the next scoring.
        save_scorecards(store, [card(empty, "unknown", 0.89, 1.0)])
        assert empty in stale_session_ids(store)
        rescore_sessions(store, [empty])
        assert store.scalar("SELECT count(*) FROM scores WHERE session_id = ?", [empty]) == 0
        assert empty not in stale_session_ids(store)
    after = gathered(small_store)
    assert after.headline == before.headline
    assert after.outcome_totals == before.outcome_totals
    assert after.weeks == before.weeks
    assert empty not in {r.session_id for r in after.recent_sessions}
