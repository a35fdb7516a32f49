"""Writing parsed records to the store: many files' batches pooled into few transactions.

A transcript's row in `files` (its offset, head hash and parser state) is written in the same
transaction as the records read up to that offset, which is what makes ingest crash-safe.
Parsed records travel as `Rows`: plain tuples in each table's column order, keyed as the table
is, so that worker processes send values rather than objects and pooling is a dict update.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import BaseModel, Field

from trajectory_miner.capture.forgotten import forgotten_ids, is_forgotten, scrub_state
from trajectory_miner.store import Store, insert_rows
from trajectory_miner.store.tables import EVENTS, RESPONSES, SESSIONS, STEPS, TURNS
from trajectory_miner.transcript.records import ParsedBatch
from trajectory_miner.utc import stored

_FLUSH_BYTES = 32 * 1024 * 1024
_FLUSH_RECORDS = 40_000


class FileRow(BaseModel):
    offset: int = 0
    size: int = 0
    head_hash: str = ""
    head_len: int = 0
    state: str = ""
    lines: int = 0
    skipped_lines: int = 0
    unknown: Counter[str] = Field(default_factory=Counter)


def load_file_rows(store: Store, keys: list[str] | None = None) -> dict[str, FileRow]:
    """What is known of the transcripts named by `keys` (`file_key`s), in one query.

    Only their rows are read, parser state included, so the cost follows what is ingested
    rather than the size of the store; a key never read before has no entry. With `keys`
    None, every transcript's row is read.
    """
    sql = (
        "SELECT path, offset_bytes, size_bytes, head_hash, head_len, state, lines, skipped_lines, "
        "unknown_entry_types FROM files"
    )
    if keys is None:
        rows = store.query(sql)
    elif keys:
        rows = store.query(sql + " WHERE path IN (SELECT unnest(?::VARCHAR[]))", [sorted(set(keys))])
    else:
        rows = []
    return {
        r[0]: FileRow(
            offset=r[1],
            size=r[2],
            head_hash=r[3],
            head_len=r[4],
            state=r[5],
            lines=r[6],
            skipped_lines=r[7],
            unknown=Counter(orjson.loads(r[8])),
        )
        for r in rows
    }


Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Rows:
    """Parsed records as rows of the store's tables, each keyed as its table is.

    A session's row leaves out `updated_at`, which is the time it is written.
    """

    sessions: dict[str, Row] = field(default_factory=dict)
    turns: dict[tuple[str, str], Row] = field(default_factory=dict)
    steps: dict[tuple[str, str], Row] = field(default_factory=dict)
    events: dict[tuple[str, str, str], Row] = field(default_factory=dict)
    responses: dict[tuple[str, str], Row] = field(default_factory=dict)

    def keep_sessions(self, keep: Callable[[str], bool]) -> Rows:
        """These rows without those of the sessions `keep` rejects."""
        return Rows(
            sessions={k: v for k, v in self.sessions.items() if keep(k)},
            turns={k: v for k, v in self.turns.items() if keep(k[0])},
            steps={k: v for k, v in self.steps.items() if keep(k[0])},
            events={k: v for k, v in self.events.items() if keep(k[0])},
            responses={k: v for k, v in self.responses.items() if keep(k[0])},
        )


class BatchWriter:
    """Collects the records of many files and writes them in few transactions.

    Every DuckDB statement has a fixed cost of milliseconds, so small files are pooled; a
    file's offset is written in the same transaction as the records read up to it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending = Rows()
        self.files: dict[str, FileRow] = {}
        self.pending_bytes = 0
        self.forgotten = forgotten_ids(store)

    def add(self, key: str, row: FileRow, rows: Rows, size: int) -> None:
        if self.forgotten:
            # A session the user forgot never comes back, whatever is read again.
            forgotten = self.forgotten
            rows = rows.keep_sessions(lambda sid: not is_forgotten(sid, forgotten))
            row.state = scrub_state(row.state, forgotten)
        merge_rows(self.pending, rows)
        # The reader goes on moving its row; what is written is the row as it is now.
        self.files[key] = row.model_copy(update={"unknown": Counter(row.unknown)})
        self.pending_bytes += size
        if self.pending_bytes >= _FLUSH_BYTES or len(self.pending.steps) >= _FLUSH_RECORDS:
            self.flush()

    def flush(self) -> None:
        if not self.files:
            return
        _write(self.store, self.files, self.pending)
        self.pending = Rows()
        self.files = {}
        self.pending_bytes = 0


_SESSION_ROW = SESSIONS.row_of()
_TURN_ROW = TURNS.row_of()
_STEP_ROW = STEPS.row_of()
_EVENT_ROW = EVENTS.row_of()
_RESPONSE_ROW = RESPONSES.row_of()


def table_rows(batch: ParsedBatch) -> Rows:
    """A parsed batch's records as the rows the store keeps (see `store.tables`)."""
    return Rows(
        sessions={sid: _SESSION_ROW(f) for sid, f in batch.sessions.items()},
        turns={key: _TURN_ROW(t) for key, t in batch.turns.items()},
        steps={key: _STEP_ROW(s) for key, s in batch.steps.items()},
        events={key: _EVENT_ROW(e) for key, e in batch.events.items()},
        responses={key: _RESPONSE_ROW(r) for key, r in batch.responses.items()},
    )


def merge_rows(into: Rows, rows: Rows) -> None:
    """Add rows to others (a later read of a record wins; a session's facts are combined)."""
    sessions = into.sessions
    for sid, facts in rows.sessions.items():
        known = sessions.get(sid)
        sessions[sid] = merge_session_rows(known, facts) if known else facts
    into.turns.update(rows.turns)
    into.steps.update(rows.steps)
    into.events.update(rows.events)
    into.responses.update(rows.responses)


def merge_session_rows(old: Row, new: Row) -> Row:
    """Two reads' rows of one session as one (the same rule the store applies on conflict)."""
    starts = [t for t in (old[8], new[8]) if t is not None]
    ends = [t for t in (old[9], new[9]) if t is not None]
    return (
        old[0],
        old[1] or new[1],  # project
        old[2] or new[2],  # cwd
        old[3],
        old[4],
        old[5] or new[5],  # agent_id
        old[6],
        new[7] or old[7],  # title
        min(starts) if starts else None,
        max(ends) if ends else None,
        new[10] or old[10],  # version
        new[11] or old[11],  # git_branch
    )


def _write(store: Store, files: dict[str, FileRow], rows: Rows) -> None:
    now = stored()
    with store.transaction():
        held = _held_sessions(store, rows)
        _write_sessions(store, [(*r, now) for r in rows.sessions.values()])
        for table, records in (
            ("turns", rows.turns),
            ("steps", rows.steps),
            ("events", rows.events),
            ("responses", rows.responses),
        ):
            # Only a session the store holds can have old rows to replace: finding them takes a
            # pass over the table, which the records of a new session are spared.
            insert_rows(store, table, list(records.values()), keys=[k for k in records if k[0] in held])
        insert_rows(
            store,
            "files",
            [
                (
                    key,
                    r.offset,
                    r.size,
                    r.head_hash,
                    r.head_len,
                    r.state,
                    r.lines,
                    r.skipped_lines,
                    orjson.dumps(dict(r.unknown)).decode(),
                    now,
                )
                for key, r in files.items()
            ],
        )


def _held_sessions(store: Store, rows: Rows) -> set[str]:
    """The sessions of `rows` that the store holds already.

    A session's records are written in the same transaction as its row, so a session the store
    has no row for has no records in it either.
    """
    ids = set(rows.sessions)
    for records in (rows.turns, rows.steps, rows.events, rows.responses):
        ids.update(key[0] for key in records)
    if not ids:
        return set()
    found = store.query(
        "SELECT session_id FROM sessions WHERE session_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(ids)]
    )
    return {r[0] for r in found}


def _write_sessions(store: Store, rows: list[Row]) -> None:
    insert_rows(
        store,
        "sessions",
        rows,
        """
        ON CONFLICT (session_id) DO UPDATE SET
            project = CASE WHEN sessions.project = '' THEN excluded.project ELSE sessions.project END,
            cwd = CASE WHEN sessions.cwd = '' THEN excluded.cwd ELSE sessions.cwd END,
            title = CASE WHEN excluded.title = '' THEN sessions.title ELSE excluded.title END,
            started_at = least(sessions.started_at, excluded.started_at),
            ended_at = greatest(sessions.ended_at, excluded.ended_at),
            version = CASE WHEN excluded.version = '' THEN sessions.version ELSE excluded.version END,
            git_branch = CASE WHEN excluded.git_branch = '' THEN sessions.git_branch
                ELSE excluded.git_branch END,
            agent_id = coalesce(sessions.agent_id, excluded.agent_id),
            updated_at = excluded.updated_at
        """,
    )
