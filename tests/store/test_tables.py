"""The table declarations: the store's own columns, the model's fields, and rows that come back as they went in."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trajectory_miner.model import Event, Step, Turn
from trajectory_miner.store import insert_rows, open_store
from trajectory_miner.store.tables import EVENTS, STEPS, TRAJECTORY_TABLES, TURNS, Table
from trajectory_miner.transcript.records import EventRecord, StepRecord, TurnRecord


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tables") / "miner.duckdb"
    with open_store(path):
        pass
    return path


@pytest.mark.parametrize("table", TRAJECTORY_TABLES, ids=lambda t: t.name)
def test_a_declaration_is_the_migrated_store_s_own_columns(store_path: Path, table: Table) -> None:
    with open_store(store_path, read_only=True) as store:
        found = store.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [table.name],
        )
    assert found == [(c.name, c.sql) for c in table.stored_columns]


@pytest.mark.parametrize(
    ("table", "record", "model"),
    [(STEPS, StepRecord, Step), (TURNS, TurnRecord, Turn), (EVENTS, EventRecord, Event)],
    ids=["steps", "turns", "events"],
)
def test_every_column_holds_a_field_of_the_record_and_of_the_model(table: Table, record: type, model: type) -> None:
    record_fields = [f.name for f in dataclasses.fields(record)]
    model_fields = list(model.model_fields)
    held = {c.holds for c in table.columns}
    assert held <= set(record_fields), f"not in {record.__name__}: {held - set(record_fields)}"
    assert held <= set(model_fields), f"not in {model.__name__}: {held - set(model_fields)}"


def test_the_step_record_has_the_model_s_fields_in_its_order() -> None:
    assert [f.name for f in dataclasses.fields(StepRecord)] == list(Step.model_fields)


times = st.none() | st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]),
)
words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
step_records = st.builds(
    StepRecord,
    session_id=st.sampled_from(["s1", "s2"]),
    tool_use_id=st.text("abc", min_size=1, max_size=6),
    step_index=st.integers(0, 1000),
    turn_index=st.integers(0, 100),
    tool_name=st.sampled_from(["Bash", "Read", "Edit"]),
    input=st.dictionaries(st.text("xyz", min_size=1, max_size=3), words | st.integers(-5, 5), max_size=3),
    summary=words,
    thought=words,
    started_at=times,
    ended_at=times,
    has_result=st.booleans(),
    result_text=words,
    result_size=st.integers(0, 2**40),
    is_error=st.booleans(),
    error_signature=st.none() | words,
    exit_code=st.none() | st.integers(-128, 255),
    duration_ms=st.none() | st.integers(0, 2**40),
    files=st.lists(words, max_size=3),
    skill_name=st.none() | words,
    subagent_type=st.none() | words,
    subagent_id=st.none() | words,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(step_records, min_size=1, max_size=5, unique_by=lambda r: (r.session_id, r.tool_use_id)))
def test_a_step_written_by_the_declaration_reads_back_as_the_model_of_its_record(
    store_path: Path, records: list[StepRecord]
) -> None:
    row_of, fields_of = STEPS.row_of(), STEPS.fields_of()
    with open_store(store_path) as store:
        store.query("DELETE FROM steps")
        with store.transaction():
            insert_rows(store, "steps", [row_of(r) for r in records])
        rows = store.query(f"SELECT {STEPS.select()} FROM steps ORDER BY session_id, tool_use_id")
    got = [Step(**fields_of(row)) for row in rows]
    wanted = sorted((Step(**_record_fields(r)) for r in records), key=lambda s: (s.session_id, s.tool_use_id))
    assert got == wanted


def _record_fields(record: StepRecord) -> dict[str, Any]:
    """The record's fields with its times as the store gives them back: the same instant, in UTC."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    for name in ("started_at", "ended_at"):
        if fields[name] is not None:
            fields[name] = fields[name].astimezone(UTC)
    return fields
