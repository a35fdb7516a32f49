"""Writing parsed records to the store: many files' batches pooled into few transactions.

A transcript's row in `files` (its offset, head hash and parser state) is written in the same
transaction as the records read up to that offset, which is what makes ingest crash-safe.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson
from pydantic import BaseModel, Field

from trajectory_miner.forgotten import drop_forgotten, forgotten_ids, scrub_state
from trajectory_miner.store import Store, insert_rows
from trajectory_miner.transcript import ParsedBatch, SessionFacts

_FLUSH_BYTES = 32 * 1024 * 1024
_FLUSH_RECORDS = 40_000


def _utc(value: datetime | None) -> datetime | None:
    """A time as the store keeps it: UTC without a zone."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


class FileRow(BaseModel):
    offset: int = 0
    size: int = 0
    head_hash: str = ""
    head_len: int = 0
    state: str = ""
    lines: int = 0
    skipped_lines: int = 0
    unknown: Counter[str] = Field(default_factory=Counter)


def load_file_rows(store: Store) -> dict[str, FileRow]:
    """What is known of every transcript read before, in one query."""
    rows = store.query(
        "SELECT path, offset_bytes, size_bytes, head_hash, head_len, state, lines, skipped_lines, "
        "unknown_entry_types FROM files"
    )
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


class BatchWriter:
    """Collects the records of many files and writes them in few transactions.

    Every DuckDB statement has a fixed cost of milliseconds, so small files are pooled; a
    file's offset is written in the same transaction as the records read up to it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending = ParsedBatch()
        self.files: dict[str, FileRow] = {}
        self.pending_bytes = 0
        self.forgotten = forgotten_ids(store)

    def add(self, key: str, row: FileRow, batch: ParsedBatch, size: int) -> None:
        if self.forgotten:
            # A session the user forgot never comes back, whatever is read again.
            drop_forgotten(batch, self.forgotten)
            row.state = scrub_state(row.state, self.forgotten)
        merge_batch(self.pending, batch)
        self.files[key] = row.model_copy(deep=True)
        self.pending_bytes += size
        if self.pending_bytes >= _FLUSH_BYTES or len(self.pending.steps) >= _FLUSH_RECORDS:
            self.flush()

    def flush(self) -> None:
        if not self.files:
            return
        _write(self.store, self.files, self.pending)
        self.pending = ParsedBatch()
        self.files = {}
        self.pending_bytes = 0


def merge_batch(into: ParsedBatch, batch: ParsedBatch) -> None:
    """Add one batch's records to another's (later reads of a record win)."""
    for sid, facts in batch.sessions.items():
        known = into.sessions.get(sid)
        into.sessions[sid] = merge_facts(known, facts) if known else facts
    into.turns.update(batch.turns)
    into.steps.update(batch.steps)
    into.events.update(batch.events)
    into.responses.update(batch.responses)


def merge_facts(old: SessionFacts, new: SessionFacts) -> SessionFacts:
    """Two reads' facts of one session as one (the same rule the store applies on conflict)."""
    starts = [t for t in (old.started_at, new.started_at) if t is not None]
    ends = [t for t in (old.ended_at, new.ended_at) if t is not None]
    return old.model_copy(
        update={
            "project": old.project or new.project,
            "cwd": old.cwd or new.cwd,
            "title": new.title or old.title,
            "started_at": min(starts) if starts else None,
            "ended_at": max(ends) if ends else None,
            "version": new.version or old.version,
            "git_branch": new.git_branch or old.git_branch,
            "agent_id": old.agent_id or new.agent_id,
        }
    )


def _write(store: Store, files: dict[str, FileRow], batch: ParsedBatch) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    store.con.execute("BEGIN TRANSACTION")
    try:
        _write_sessions(store, batch, now)
        _write_turns(store, batch)
        _write_steps(store, batch)
        _write_events(store, batch)
        _write_responses(store, batch)
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
        store.con.execute("COMMIT")
    except BaseException:
        store.con.execute("ROLLBACK")
        raise


def _write_sessions(store: Store, batch: ParsedBatch, now: datetime) -> None:
    rows = [
        (
            f.session_id,
            f.project,
            f.cwd,
            f.transcript_path,
            f.parent_session_id,
            f.agent_id,
            f.is_sidechain,
            f.title,
            _utc(f.started_at),
            _utc(f.ended_at),
            f.version,
            f.git_branch,
            now,
        )
        for f in batch.sessions.values()
    ]
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


def _write_turns(store: Store, batch: ParsedBatch) -> None:
    rows = [
        (
            t.session_id,
            t.uuid,
            t.turn_index,
            t.kind,
            t.prompt,
            t.command_name,
            _utc(t.started_at),
            _utc(t.ended_at),
            t.interrupted,
            t.final_text,
        )
        for t in batch.turns.values()
    ]
    insert_rows(store, "turns", rows)


def _write_steps(store: Store, batch: ParsedBatch) -> None:
    rows = [
        (
            s.session_id,
            s.tool_use_id,
            s.step_index,
            s.turn_index,
            s.tool_name,
            orjson.dumps(s.input).decode(),
            s.summary,
            s.thought,
            _utc(s.started_at),
            _utc(s.ended_at),
            s.has_result,
            s.result_text,
            s.result_size,
            s.is_error,
            s.error_signature,
            s.exit_code,
            s.duration_ms,
            s.files,
            s.skill_name,
            s.subagent_type,
            s.subagent_id,
        )
        for s in batch.steps.values()
    ]
    insert_rows(store, "steps", rows)


def _write_events(store: Store, batch: ParsedBatch) -> None:
    rows = [
        (e.session_id, e.uuid, e.kind, _utc(e.at), e.turn_index, e.step_index, e.detail) for e in batch.events.values()
    ]
    insert_rows(store, "events", rows)


def _write_responses(store: Store, batch: ParsedBatch) -> None:
    rows = [
        (
            r.session_id,
            r.message_id,
            r.model,
            _utc(r.at),
            r.usage.input,
            r.usage.output,
            r.usage.cache_read,
            r.usage.cache_creation,
        )
        for r in batch.responses.values()
    ]
    insert_rows(store, "responses", rows)
