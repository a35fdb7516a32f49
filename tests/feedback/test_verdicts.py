from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trajectory_miner.feedback.verdicts import latest_feedback, list_feedback, record_feedback
from trajectory_miner.store import open_store

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_recorded_feedback_is_read_back_in_order(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        first = record_feedback(store, "s1", "bad", "  tests were skipped  ", now=T0)
        record_feedback(store, "s2", "good", now=T0 + timedelta(minutes=1))
        items = list_feedback(store)
        assert [(i.target_id, i.verdict, i.note) for i in items] == [
            ("s1", "bad", "tests were skipped"),
            ("s2", "good", ""),
        ]
        assert items[0] == first and items[0].created_at == T0
        assert [i.target_id for i in list_feedback(store, target_id="s2")] == ["s2"]


def test_the_newest_verdict_of_a_session_wins(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        record_feedback(store, "s1", "bad", now=T0)
        record_feedback(store, "s1", "good", "it was right after all", now=T0 + timedelta(hours=1))
        record_feedback(store, "s2", "bad", now=T0)
        latest = latest_feedback(store)
        assert {sid: f.verdict for sid, f in latest.items()} == {"s1": "good", "s2": "bad"}
        assert list(latest_feedback(store, ["s2", "s9"])) == ["s2"]
        assert len(list_feedback(store, target_id="s1")) == 2


def test_feedback_on_other_kinds_of_target_stays_apart_from_sessions(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        record_feedback(store, "S-001", "good", target_kind="skill", now=T0)
        assert latest_feedback(store) == {}
        assert list(latest_feedback(store, target_kind="skill")) == ["S-001"]


@pytest.mark.parametrize(
    ("target", "verdict", "kind"), [("s1", "meh", "session"), ("s1", "good", "galaxy"), ("", "good", "session")]
)
def test_bad_feedback_is_refused_and_nothing_is_stored(tmp_path: Path, target: str, verdict: str, kind: str) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        with pytest.raises(ValueError):
            record_feedback(store, target, verdict, target_kind=kind)
        assert list_feedback(store) == []


def test_a_long_note_is_capped(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        item = record_feedback(store, "s1", "bad", "x" * 10_000)
        assert len(item.note) == 2000 and list_feedback(store)[0].note == item.note


def test_of_two_verdicts_at_the_same_moment_the_one_recorded_last_wins(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        for verdict in ("bad", "good", "bad", "good"):
            record_feedback(store, "s1", verdict, now=T0)
        assert latest_feedback(store)["s1"].verdict == "good"
        record_feedback(store, "s1", "bad", now=T0)
        assert latest_feedback(store)["s1"].verdict == "bad"
