from pathlib import Path

import pytest
from scoring.builders import TRANSCRIPTS

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.feedback.verdicts import record_feedback
from trajectory_miner.scoring import SCORER_VERSION, rescore_sessions, score_session, stale_session_ids
from trajectory_miner.scoring.card import DIMENSIONS, load_scorecards, score_columns
from trajectory_miner.sessions import load_session
from trajectory_miner.store import Store, open_store

FIXTURES = ("clean_fix_tests_pass", "tests_still_failing_at_end", "user_correction_then_fixed")


def _ingest(store: Store) -> list[str]:
    ingest_paths(store, [TRANSCRIPTS / f"scoring_{n}.jsonl" for n in FIXTURES], Config(), redact=lambda t: t)
    return [r[0] for r in store.query("SELECT session_id FROM sessions ORDER BY session_id")]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "m.duckdb"


def test_rescore_stores_a_card_per_session_equal_to_scoring_it_afresh(db: Path) -> None:
    with open_store(db) as store:
        ids = _ingest(store)
        assert rescore_sessions(store) == 3
        cards = load_scorecards(store)
        assert sorted(cards) == ids
        for sid in ids:
            fresh = score_session(load_session(store, sid))  # type: ignore[arg-type]
            stored = cards[sid]
            assert stored.scorer_version == SCORER_VERSION and stored.scored_at is not None
            assert stored.model_dump(exclude={"scored_at"}) == fresh.model_dump(exclude={"scored_at"})
        columns = score_columns(store, ids)
        assert set(columns[ids[0]]["scores"]) == set(DIMENSIONS)


def test_stale_sessions_are_those_without_a_card_or_with_an_old_one(db: Path) -> None:
    with open_store(db) as store:
        ids = _ingest(store)
        assert stale_session_ids(store) == ids
        rescore_sessions(store, ids[:1])
        assert stale_session_ids(store) == ids[1:]
        rescore_sessions(store)
        store.execute("UPDATE scores SET scorer_version = '0' WHERE session_id = ?", [ids[2]])
        assert stale_session_ids(store) == [ids[2]]


def test_rescore_works_in_chunks_reports_progress_and_skips_unknown_ids(db: Path) -> None:
    calls: list[tuple[int, int]] = []
    with open_store(db) as store:
        ids = _ingest(store)
        done = rescore_sessions(
            store, [*ids, "no-such-session"], chunk_size=2, progress=lambda d, t, _: calls.append((d, t))
        )
        assert done == 3 and calls == [(2, 4), (4, 4)]


def test_feedback_changes_the_stored_outcome_on_the_next_rescore(db: Path) -> None:
    with open_store(db) as store:
        ids = _ingest(store)
        rescore_sessions(store)
        failing = next(sid for sid, card in load_scorecards(store).items() if card.outcome == "failure")
        record_feedback(store, failing, "good", "the failing test is known to be flaky")
        rescore_sessions(store, [failing])
        card = load_scorecards(store, [failing])[failing]
        assert (card.outcome, card.outcome_source) == ("success", "feedback")
        assert set(load_scorecards(store)) == set(ids)


@pytest.mark.parametrize("workers", [1, 2])
def test_rescore_in_worker_processes_stores_the_cards_of_a_rescore_here(tmp_path: Path, workers: int) -> None:
    cards: dict[int, dict[str, dict[str, object]]] = {}
    calls: dict[int, list[tuple[int, int, str]]] = {0: [], workers: []}
    for count in (0, workers):
        seen = calls[count]
        with open_store(tmp_path / f"{count}.duckdb") as store:
            ids = _ingest(store)
            record_feedback(store, ids[0], "good", "known flaky")
            done = rescore_sessions(
                store,
                [*ids, "no-such-session"],
                chunk_size=2,
                workers=count,
                progress=lambda d, t, s, seen=seen: seen.append((d, t, s)),
            )
            assert done == 3
            stored = load_scorecards(store)
            cards[count] = {sid: card.model_dump(exclude={"scored_at"}) for sid, card in stored.items()}
            assert all(card.scored_at is not None for card in stored.values())
    assert cards[workers] == cards[0] and len(cards[0]) == 3
    # Chunks go to the workers halved, so their progress is told in steps of one session.
    assert [c[0] for c in calls[0]] == [2, 4] and [c[0] for c in calls[workers]] == [1, 2, 3, 4]
    assert calls[workers][1::2] == calls[0]


def test_rescore_scores_here_what_a_broken_pool_left(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from trajectory_miner.scoring import pool

    def broken(*_: object, **__: object) -> None:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", broken)
    with open_store(db) as store:
        ids = _ingest(store)
        assert rescore_sessions(store, ids, chunk_size=1, workers=2) == 3
        assert sorted(load_scorecards(store)) == ids


@pytest.mark.parametrize(("cores", "sessions", "expected"), [(8, 5000, 2), (2, 5000, 1), (1, 5000, 0), (8, 50, 0)])
def test_workers_start_for_much_to_score_and_leave_this_process_a_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, sessions: int, expected: int
) -> None:
    from trajectory_miner.scoring import scorer

    monkeypatch.setattr(scorer.os, "cpu_count", lambda: cores)
    assert scorer.pool_size(sessions, None) == expected
    assert scorer.pool_size(sessions, 3) == 3 and scorer.pool_size(2, 3) == 2
