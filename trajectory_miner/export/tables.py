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
from contextlib import contextmanager

import orjson

from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.store import Store

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
def redaction_functions(store: Store, redactor: Redactor) -> Iterator[None]:
    """`tm_redact`, `tm_redact_json` and `tm_slug` callable from SQL on the store for a block of work."""
    functions: dict[str, Callable[[str], str]] = {
        "tm_redact": redactor,
        "tm_redact_json": lambda text: _redact_json(redactor, text),
        "tm_slug": project_slug,
    }
    with store.text_functions(functions):
        yield


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
