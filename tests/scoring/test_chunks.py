"""Chunks of a rescore: the store's rows read here, the sessions built and scored where the rows go."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring.builders import TRANSCRIPTS

from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.config import Config
from trajectory_miner.scoring import rescore_sessions
from trajectory_miner.scoring.card import DIMENSIONS, card_rows
from trajectory_miner.scoring.scorer import ScoringJob, load_chunk, score_chunk, score_session
from trajectory_miner.sessions import build_sessions, load_sessions, read_session_rows
from trajectory_miner.store import Store, open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    db = tmp_path_factory.mktemp("chunks") / "m.duckdb"
    with open_store(db) as opened:
        ingest_paths(opened, sorted(TRANSCRIPTS.glob("scoring_*.jsonl")), Config(), redact=lambda text: text)
        # A session with no turns: its row alone, as a file of metadata leaves it.
        opened.execute(
            "INSERT INTO sessions VALUES ('no-turns', '', '', '', NULL, NULL, false, '', NULL, NULL, '', '', now())"
        )
        yield opened


def _ids(store: Store) -> list[str]:
    return [r[0] for r in store.query("SELECT session_id FROM sessions ORDER BY session_id")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sessions_built_from_a_wider_read_are_those_loaded_alone(store: Store, data: st.DataObject) -> None:
    known = _ids(store)
    read = data.draw(st.lists(st.sampled_from([*known, "unknown"]), unique=True))
    wanted = data.draw(st.permutations(data.draw(st.lists(st.sampled_from([*known, "unknown"]), unique=True))))
    rows = read_session_rows(store, read)

    built = build_sessions(rows, wanted)

    alone = load_sessions(store, [sid for sid in wanted if sid in read])
    assert [s.model_dump() for s in built] == [s.model_dump() for s in alone]


def test_a_chunk_sent_to_another_process_scores_as_the_sessions_loaded_here(store: Store) -> None:
    ids = _ids(store)
    job = ScoringJob(skills=[], output_budget=4000, scored_at=datetime(2026, 1, 2, tzinfo=UTC))

    chunk = pickle.loads(pickle.dumps(load_chunk(store, ids)))

    with_turns = [s for s in load_sessions(store, ids) if s.turns]
    assert chunk.ids == [s.session_id for s in with_turns] and "no-turns" not in chunk.ids
    cards = [score_session(s) for s in with_turns]
    for card in cards:
        card.scored_at = job.scored_at
    assert score_chunk(chunk, job) == card_rows(cards)


def test_loading_a_chunk_removes_the_card_of_a_session_with_no_turns(store: Store) -> None:
    store.execute("INSERT INTO scores VALUES ('no-turns', '0', 0.5, 'unknown', 0.5, 'heuristic', '{}', now())")

    load_chunk(store, ["no-turns"])

    assert store.scalar("SELECT count(*) FROM scores WHERE session_id = 'no-turns'") == 0


def test_scoring_again_replaces_a_session_s_dimension_rows(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.duckdb") as store:
        ingest_paths(store, sorted(TRANSCRIPTS.glob("scoring_*.jsonl"))[:2], Config(), redact=lambda text: text)
        ids = _ids(store)
        rescore_sessions(store, ids)
        first = store.query("SELECT session_id, dimension, score FROM dimension_scores ORDER BY ALL")

        rescore_sessions(store, ids)

        assert store.query("SELECT session_id, dimension, score FROM dimension_scores ORDER BY ALL") == first
        assert len(first) == len(ids) * len(DIMENSIONS)
