"""The trajectory tables, each declared once: its columns in order, their types, and the field each holds.

A transcript is stored in five tables (`sessions`, `turns`, `steps`, `events`, `responses`).
The parser's records and the model's Session, Turn, Step and Event carry the same values under
field names; a `Table` says which column holds which field and how a value is kept:

- `time`: UTC without a zone in the store, marked as UTC when read back (see `utc`);
- `json`: a dict kept as JSON text;
- `list`: a list kept as a DuckDB list, read back as a Python list.

The writer turns a record into a row with `Table.row_of`, and readers turn a row back into a
model's fields with `Table.fields_of`, both built once per table. A nested field (a response's
`usage.input`) is written from its record; it is read back as an aggregate, not as a field. The columns here are the
store's own after every migration; a test holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from trajectory_miner.utc import aware_or_none, stored_or_none

Kind = Literal["plain", "time", "json", "list"]
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name and SQL type, the field it holds (dotted for a nested one), how it is kept."""

    name: str
    sql: str
    field: str = ""
    kind: Kind = "plain"

    @property
    def holds(self) -> str:
        return self.field or self.name


def _json_text(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


def _json_value(text: str | None) -> dict[str, Any]:
    return orjson.loads(text) if text else {}


def _listed(value: list[Any] | None) -> list[Any]:
    return list(value or [])


_TO_STORE: dict[Kind, Callable[[Any], Any]] = {"time": stored_or_none, "json": _json_text}
_FROM_STORE: dict[Kind, Callable[[Any], Any]] = {"time": aware_or_none, "json": _json_value, "list": _listed}


@dataclass(frozen=True)
class Table:
    """A table's columns in their stored order, and the mapping between its rows and records."""

    name: str
    columns: tuple[Column, ...]
    stamp: Column | None = None
    """A last column the writer fills with the time of the write, not from the record."""

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """Every column of the table as the store has it, the stamp included."""
        return self.columns + ((self.stamp,) if self.stamp else ())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def select(self, alias: str = "") -> str:
        """The column list for a SELECT, each prefixed with `alias.` when one is given."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + c.name for c in self.columns)

    def row_of(self) -> Callable[[Any], Row]:
        """A function from a record (any object with the fields) to a row in column order."""
        parts = []
        for c in self.columns:
            value = f"record.{c.holds}"
            parts.append(f"_TO_STORE[{c.kind!r}]({value})" if c.kind in _TO_STORE else value)
        made: Callable[[Any], Row] = _compiled(f"lambda record: ({', '.join(parts)},)")
        return made

    def fields_of(self) -> Callable[[Row], dict[str, Any]]:
        """A function from a stored row (in column order) to the fields it holds, ready for a model."""
        parts = []
        for i, c in enumerate(self.columns):
            value = f"row[{i}]"
            parts.append(f"{c.holds!r}: " + (f"_FROM_STORE[{c.kind!r}]({value})" if c.kind in _FROM_STORE else value))
        made: Callable[[Row], dict[str, Any]] = _compiled(f"lambda row: {{{', '.join(parts)}}}")
        return made


def _compiled(source: str) -> Any:
    # Built from the declarations below, never from data. The writer maps every record of an
    # ingest through one of these, so the mapping is spelled out once per table as a plain
    # expression rather than looped over column by column.
    return eval(source, {"_TO_STORE": _TO_STORE, "_FROM_STORE": _FROM_STORE})


SESSIONS = Table(
    "sessions",
    (
        Column("session_id", "VARCHAR"),
        Column("project", "VARCHAR"),
        Column("cwd", "VARCHAR"),
        Column("transcript_path", "VARCHAR"),
        Column("parent_session_id", "VARCHAR"),
        Column("agent_id", "VARCHAR"),
        Column("is_sidechain", "BOOLEAN"),
        Column("title", "VARCHAR"),
        Column("started_at", "TIMESTAMP", kind="time"),
        Column("ended_at", "TIMESTAMP", kind="time"),
        Column("version", "VARCHAR"),
        Column("git_branch", "VARCHAR"),
    ),
    stamp=Column("updated_at", "TIMESTAMP", kind="time"),
)

TURNS = Table(
    "turns",
    (
        Column("session_id", "VARCHAR"),
        Column("uuid", "VARCHAR"),
        Column("turn_index", "INTEGER"),
        Column("kind", "VARCHAR"),
        Column("prompt", "VARCHAR"),
        Column("command_name", "VARCHAR"),
        Column("started_at", "TIMESTAMP", kind="time"),
        Column("ended_at", "TIMESTAMP", kind="time"),
        Column("interrupted", "BOOLEAN"),
        Column("final_text", "VARCHAR"),
    ),
)

STEPS = Table(
    "steps",
    (
        Column("session_id", "VARCHAR"),
        Column("tool_use_id", "VARCHAR"),
        Column("step_index", "INTEGER"),
        Column("turn_index", "INTEGER"),
        Column("tool_name", "VARCHAR"),
        Column("input", "VARCHAR", kind="json"),
        Column("summary", "VARCHAR"),
        Column("thought", "VARCHAR"),
        Column("started_at", "TIMESTAMP", kind="time"),
        Column("ended_at", "TIMESTAMP", kind="time"),
        Column("has_result", "BOOLEAN"),
        Column("result_text", "VARCHAR"),
        Column("result_size", "BIGINT"),
        Column("is_error", "BOOLEAN"),
        Column("error_signature", "VARCHAR"),
        Column("exit_code", "INTEGER"),
        Column("duration_ms", "BIGINT"),
        Column("files", "VARCHAR[]", kind="list"),
        Column("skill_name", "VARCHAR"),
        Column("subagent_type", "VARCHAR"),
        Column("subagent_id", "VARCHAR"),
    ),
)

EVENTS = Table(
    "events",
    (
        Column("session_id", "VARCHAR"),
        Column("uuid", "VARCHAR"),
        Column("kind", "VARCHAR"),
        Column("occurred_at", "TIMESTAMP", kind="time", field="at"),
        Column("turn_index", "INTEGER"),
        Column("step_index", "INTEGER"),
        Column("detail", "VARCHAR"),
    ),
)

RESPONSES = Table(
    "responses",
    (
        Column("session_id", "VARCHAR"),
        Column("message_id", "VARCHAR"),
        Column("model", "VARCHAR"),
        Column("occurred_at", "TIMESTAMP", kind="time", field="at"),
        Column("input_tokens", "BIGINT", field="usage.input"),
        Column("output_tokens", "BIGINT", field="usage.output"),
        Column("cache_read_tokens", "BIGINT", field="usage.cache_read"),
        Column("cache_creation_tokens", "BIGINT", field="usage.cache_creation"),
    ),
)

TRAJECTORY_TABLES = (SESSIONS, TURNS, STEPS, EVENTS, RESPONSES)
