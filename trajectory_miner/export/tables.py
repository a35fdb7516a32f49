"""What a Parquet export holds: its tables, how they are partitioned, and how their text is redacted.

Sessions, turns and steps are written under Hive-style folders `project_slug=<slug>/month=<YYYY-MM>`
so a pooled folder can be pruned by project and month; the other tables are one file per export.
Every exported row carries `store_id` and `export_id`, which say which store wrote it and when.
Free text and JSON columns pass through the redactor on the way out and on the way back in;
identifiers and paths are kept as they are, so a round trip through Parquet changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import orjson

from trajectory_miner.redaction import Redactor

# The tables whose rows belong to one session, written and read back together.
SESSION_TABLES: tuple[str, ...] = (
    "sessions",
    "turns",
    "steps",
    "events",
    "responses",
    "scores",
    "dimension_scores",
)
MINED_TABLES: tuple[str, ...] = ("patterns", "incidents", "skills", "replays")
PARTITIONED: frozenset[str] = frozenset({"sessions", "turns", "steps"})
PARTITION_COLUMNS: tuple[str, ...] = ("project_slug", "month")

_TEXT: dict[str, tuple[str, ...]] = {
    "sessions": ("title",),
    "turns": ("prompt", "final_text"),
    "steps": ("summary", "thought", "result_text", "error_signature"),
    "events": ("detail",),
}
_JSON: dict[str, tuple[str, ...]] = {
    "steps": ("input",),
    "scores": ("card",),
    **dict.fromkeys(MINED_TABLES, ("data",)),
}

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX = 80
_ID = re.compile(r"[A-Za-z0-9_-]+")


def project_slug(project: str) -> str:
    """A folder-safe name for a project path: `/home/ana/src/shop.api` becomes `home-ana-src-shop-api`."""
    slug = _UNSAFE.sub("-", project).strip("-")
    # The end of a path names the project best, so a long slug keeps its tail.
    return slug[-_SLUG_MAX:].lstrip("-") or "unknown"


def _redact_json(redactor: Redactor, text: str) -> str:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return redactor(text)
    cleaned = redactor.redact_json(value)
    # Unchanged values keep their exact bytes, so a round trip stores the same text.
    return text if cleaned == value else orjson.dumps(cleaned).decode()


@contextmanager
def redaction_functions(con: Any, redactor: Redactor) -> Iterator[None]:
    """Register `tm_redact`, `tm_redact_json` and `tm_slug` on a connection for a block of work."""
    functions: dict[str, Callable[[str], str]] = {
        "tm_redact": redactor,
        "tm_redact_json": lambda text: _redact_json(redactor, text),
        "tm_slug": project_slug,
    }
    _settle(con)
    for name, function in functions.items():
        with suppress(duckdb.Error):  # raised when no function of that name exists
            con.remove_function(name)
        con.create_function(name, function, ["VARCHAR"], "VARCHAR")
    try:
        yield
    finally:
        _settle(con)
        for name in functions:
            with suppress(duckdb.Error):
                con.remove_function(name)


def _settle(con: Any) -> None:
    # DuckDB 2 refuses to change functions while a result is still open.
    complete = getattr(con, "complete", None)
    if complete is not None:
        complete()


def redacted_columns(table: str, alias: str) -> str:
    """`alias.*` with the table's free text and JSON columns passed through the redactor."""
    replaced = [f"tm_redact({alias}.{c}) AS {c}" for c in _TEXT.get(table, ())]
    replaced += [f"tm_redact_json({alias}.{c}) AS {c}" for c in _JSON.get(table, ())]
    return f"{alias}.* REPLACE ({', '.join(replaced)})" if replaced else f"{alias}.*"


def redacted_expression(table: str, column: str) -> str:
    """The column, passed through the redactor when it holds free text or JSON."""
    if column in _TEXT.get(table, ()):
        return f"tm_redact({column})"
    if column in _JSON.get(table, ()):
        return f"tm_redact_json({column})"
    return column


def table_columns(con: Any, table: str) -> list[str]:
    """The columns of a table or view, in order."""
    rows = con.execute(f"DESCRIBE {table}").fetchall()
    return [r[0] for r in rows]


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def checked_id(value: str) -> str:
    """An id that is safe in a file name and a SQL literal.

    Raises:
        ValueError: the id holds other characters than letters, digits, `_` and `-`.
    """
    if not _ID.fullmatch(value):
        raise ValueError(f"not a valid id: {value!r}")
    return value
