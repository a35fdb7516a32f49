"""Ingest: transcripts on disk into the store, incrementally and idempotently.

Each transcript is read from the byte offset where the last read stopped, in batches of
whole lines; a batch's records, the new offset and the parser state are written in one
transaction, so a crash at any point loses nothing and a re-read duplicates nothing. A file
that shrank or whose first bytes changed (rotated, rewritten) is read again from the start.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from pydantic import BaseModel, Field

from trajectory_miner.config import Config, is_excluded
from trajectory_miner.redaction import Redactor
from trajectory_miner.store import Store
from trajectory_miner.transcript import ParsedBatch, ParseState, Redact, SessionFacts, TranscriptParser

_BATCH_BYTES = 8 * 1024 * 1024
_BATCH_LINES = 20_000
_HEAD_BYTES = 4096
_FLUSH_BYTES = 16 * 1024 * 1024
_FLUSH_RECORDS = 20_000

Progress = Callable[[int, int, str], None]


class IngestReport(BaseModel):
    """What one ingest run read and stored."""

    files: int = 0
    files_changed: int = 0
    bytes: int = 0
    sessions: int = 0
    turns: int = 0
    steps: int = 0
    tool_errors: int = 0
    events: int = 0
    skipped_lines: int = 0
    unknown_entry_types: dict[str, int] = Field(default_factory=dict)
    excluded_sessions: int = 0
    errors: list[str] = Field(default_factory=list)
    session_ids: set[str] = Field(default_factory=set, exclude=True)


def find_transcripts(root: Path) -> list[Path]:
    """Every transcript under a folder: session files and subagent sidechain files."""
    if root.is_file():
        return [root]
    found = [p for p in root.rglob("*.jsonl") if p.is_file()]
    return sorted(found)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _head_hash(handle: BinaryIO, length: int) -> str:
    handle.seek(0)
    return hashlib.blake2b(handle.read(length), digest_size=16).hexdigest()


def _read_batches(handle: BinaryIO, offset: int) -> Iterator[tuple[list[bytes], int]]:
    """Whole lines from `offset`, in batches, each with the offset after it.

    A last line without its newline is taken only when it is complete JSON: otherwise the
    writer may still be writing it, and it is left for the next read.
    """
    handle.seek(offset)
    while True:
        lines: list[bytes] = []
        size = 0
        while size < _BATCH_BYTES and len(lines) < _BATCH_LINES:
            line = handle.readline()
            if not line:
                break
            if not line.endswith(b"\n"):
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError:
                    break
            lines.append(line)
            size += len(line)
        if not lines:
            return
        offset += size
        yield lines, offset


class _FileRow(BaseModel):
    offset: int = 0
    size: int = 0
    head_hash: str = ""
    head_len: int = 0
    state: str = ""
    lines: int = 0
    skipped_lines: int = 0
    unknown: Counter[str] = Field(default_factory=Counter)


def _load_file_rows(store: Store) -> dict[str, _FileRow]:
    """What is known of every transcript read before, in one query."""
    rows = store.query(
        "SELECT path, offset_bytes, size_bytes, head_hash, head_len, state, lines, skipped_lines, "
        "unknown_entry_types FROM files"
    )
    return {
        r[0]: _FileRow(
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


def _default_session(path: Path) -> str:
    """The session a file belongs to when its lines do not say: the file's own name."""
    if path.parent.name == "subagents":
        return path.parent.parent.name
    return path.stem


def _default_project(path: Path) -> str:
    """The project a file belongs to when its lines name no working directory: its folder."""
    folder = path.parent.parent.parent if path.parent.name == "subagents" else path.parent
    return folder.name


class _Writer:
    """Collects the records of many files and writes them in few transactions.

    Every DuckDB statement has a fixed cost of milliseconds, so small files are pooled; a
    file's offset is written in the same transaction as the records read up to it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending = ParsedBatch()
        self.files: dict[str, _FileRow] = {}
        self.pending_bytes = 0

    def add(self, key: str, row: _FileRow, batch: ParsedBatch, size: int) -> None:
        _merge(self.pending, batch)
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


def _merge(into: ParsedBatch, batch: ParsedBatch) -> None:
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


def read_file(
    known: _FileRow | None, path: Path, config: Config, redact: Redact, report: IngestReport
) -> Iterator[tuple[str, _FileRow, ParsedBatch, int]]:
    """What is new in one transcript: batches of records, each with the file's row after it."""
    key = str(path.resolve())
    size = path.stat().st_size
    row = known or _FileRow()
    with path.open("rb") as handle:
        if row.head_len:
            same_head = row.head_len <= size and _head_hash(handle, row.head_len) == row.head_hash
            if not same_head or size < row.offset:
                row = _FileRow()
        if row.offset == size:
            return
        report.files_changed += 1
        row.size = size
        if row.head_len < _HEAD_BYTES:
            row.head_len = min(size, _HEAD_BYTES)
            row.head_hash = _head_hash(handle, row.head_len)
        state = ParseState.model_validate_json(row.state) if row.state else None
        parser = TranscriptParser(
            key, state, redact=redact, result_cap=config.result_cap, default_session=_default_session(path)
        )
        for lines, offset in _read_batches(handle, row.offset):
            batch = parser.feed(lines)
            for facts in batch.sessions.values():
                facts.project = facts.project or _default_project(path)
            _drop_excluded(batch, config, report)
            row.offset = offset
            row.lines += batch.lines
            row.skipped_lines += batch.skipped_lines
            row.unknown.update(batch.unknown_entry_types)
            row.state = parser.state.model_dump_json()
            read = sum(len(line) for line in lines)
            report.bytes += read
            _count(batch, report)
            yield key, row, batch, read


def _read_whole_file(
    job: tuple[_FileRow | None, Path, Config],
) -> tuple[list[tuple[str, _FileRow, ParsedBatch, int]], IngestReport]:
    """Worker: one small file read to its end, its batches merged (runs in another process)."""
    known, path, config = job
    report = IngestReport()
    merged: tuple[str, _FileRow, ParsedBatch, int] | None = None
    try:
        for key, row, batch, read in read_file(known, path, config, _worker_redactor(config), report):
            if merged is None:
                merged = (key, row, batch, read)
            else:
                _merge(merged[2], batch)
                merged = (key, row, merged[2], merged[3] + read)
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        report.errors.append(f"{path}: {exc.strerror or exc}")
    return ([merged] if merged else []), report


_WORKER_REDACTORS: dict[tuple[str, ...], Redact] = {}


def _worker_redactor(config: Config) -> Redact:
    patterns = tuple(config.redact_patterns)
    if patterns not in _WORKER_REDACTORS:
        _WORKER_REDACTORS[patterns] = Redactor(list(patterns))
    return _WORKER_REDACTORS[patterns]


def _drop_excluded(batch: ParsedBatch, config: Config, report: IngestReport) -> None:
    if not config.excluded_projects:
        return
    excluded = {sid for sid, facts in batch.sessions.items() if facts.project and is_excluded(facts.project, config)}
    if not excluded:
        return
    report.excluded_sessions += len(excluded)
    parents = {sid.split("/", 1)[0] for sid in excluded}

    def keep(sid: str) -> bool:
        return sid not in excluded and sid.split("/", 1)[0] not in parents

    batch.sessions = {k: v for k, v in batch.sessions.items() if keep(k)}
    batch.turns = {k: v for k, v in batch.turns.items() if keep(k[0])}
    batch.steps = {k: v for k, v in batch.steps.items() if keep(k[0])}
    batch.events = {k: v for k, v in batch.events.items() if keep(k[0])}
    batch.responses = {k: v for k, v in batch.responses.items() if keep(k[0])}


def _count(batch: ParsedBatch, report: IngestReport) -> None:
    report.turns += len(batch.turns)
    report.steps += len(batch.steps)
    report.tool_errors += sum(1 for step in batch.steps.values() if step.is_error)
    report.events += len(batch.events)
    report.skipped_lines += batch.skipped_lines
    for kind, n in batch.unknown_entry_types.items():
        report.unknown_entry_types[kind] = report.unknown_entry_types.get(kind, 0) + n
    report.session_ids.update(batch.sessions)


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)]


def _insert(store: Store, sql: str, rows: Sequence[Sequence[Any]], width: int) -> None:
    """Insert many rows with one statement: DuckDB is slow row by row."""
    if rows:
        store.con.execute(sql, _columns(rows, width))


def _write(store: Store, files: dict[str, _FileRow], batch: ParsedBatch) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    store.con.execute("BEGIN TRANSACTION")
    try:
        _write_sessions(store, batch, now)
        _write_turns(store, batch)
        _write_steps(store, batch)
        _write_events(store, batch)
        _write_responses(store, batch)
        _insert(
            store,
            """
            INSERT OR REPLACE INTO files SELECT unnest($1), unnest($2::BIGINT[]), unnest($3::BIGINT[]),
                unnest($4), unnest($5::INTEGER[]), unnest($6), unnest($7::BIGINT[]), unnest($8::BIGINT[]),
                unnest($9), unnest($10::TIMESTAMP[])
            """,
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
            10,
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
    _insert(
        store,
        """
        INSERT INTO sessions SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5),
            unnest($6), unnest($7::BOOLEAN[]), unnest($8), unnest($9::TIMESTAMP[]),
            unnest($10::TIMESTAMP[]), unnest($11), unnest($12), unnest($13::TIMESTAMP[])
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
        rows,
        13,
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
    _insert(
        store,
        """
        INSERT OR REPLACE INTO turns SELECT unnest($1), unnest($2), unnest($3::INTEGER[]), unnest($4),
            unnest($5), unnest($6::VARCHAR[]), unnest($7::TIMESTAMP[]), unnest($8::TIMESTAMP[]),
            unnest($9::BOOLEAN[]), unnest($10)
        """,
        rows,
        10,
    )


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
    _insert(
        store,
        """
        INSERT OR REPLACE INTO steps SELECT unnest($1), unnest($2), unnest($3::INTEGER[]),
            unnest($4::INTEGER[]), unnest($5), unnest($6), unnest($7), unnest($8),
            unnest($9::TIMESTAMP[]), unnest($10::TIMESTAMP[]), unnest($11::BOOLEAN[]), unnest($12),
            unnest($13::BIGINT[]), unnest($14::BOOLEAN[]), unnest($15::VARCHAR[]),
            unnest($16::INTEGER[]), unnest($17::BIGINT[]), unnest($18::VARCHAR[][]),
            unnest($19::VARCHAR[]), unnest($20::VARCHAR[]), unnest($21::VARCHAR[])
        """,
        rows,
        21,
    )


def _write_events(store: Store, batch: ParsedBatch) -> None:
    rows = [
        (e.session_id, e.uuid, e.kind, _utc(e.at), e.turn_index, e.step_index, e.detail) for e in batch.events.values()
    ]
    _insert(
        store,
        """
        INSERT OR REPLACE INTO events SELECT unnest($1), unnest($2), unnest($3),
            unnest($4::TIMESTAMP[]), unnest($5::INTEGER[]), unnest($6::INTEGER[]), unnest($7)
        """,
        rows,
        7,
    )


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
    _insert(
        store,
        """
        INSERT OR REPLACE INTO responses SELECT unnest($1), unnest($2), unnest($3),
            unnest($4::TIMESTAMP[]), unnest($5::BIGINT[]), unnest($6::BIGINT[]),
            unnest($7::BIGINT[]), unnest($8::BIGINT[])
        """,
        rows,
        8,
    )


def ingest_paths(
    store: Store,
    paths: Sequence[Path],
    config: Config,
    *,
    redact: Redact | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files and folders of transcripts; a file that vanished or fails is reported, not fatal.

    With the default redactor and much to read, small files are parsed in worker processes
    while this process writes; large files are always streamed here, batch by batch.
    """
    files: list[Path] = []
    for path in paths:
        files.extend(find_transcripts(path) if path.exists() else [])
    report = IngestReport(files=len(files))
    known = _load_file_rows(store)
    writer = _Writer(store)
    pool_size = _pool_size(files, known, workers) if redact is None else 1
    redactor = redact or _worker_redactor(config)
    done = 0

    def tick(file: Path) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(files), file.name)

    small = [f for f in files if _is_small(f)] if pool_size > 1 else []
    if small:
        small_set = set(small)
        with ProcessPoolExecutor(pool_size, mp_context=get_context("spawn")) as pool:
            jobs = [(known.get(str(f.resolve())), f, config) for f in small]
            for file, (results, partial) in zip(small, pool.map(_read_whole_file, jobs, chunksize=8), strict=True):
                for key, row, batch, read in results:
                    writer.add(key, row, batch, read)
                _absorb(report, partial)
                tick(file)
        files = [f for f in files if f not in small_set]
    for file in files:
        try:
            for key, row, batch, read in read_file(known.get(str(file.resolve())), file, config, redactor, report):
                writer.add(key, row, batch, read)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            report.errors.append(f"{file}: {exc.strerror or exc}")
        tick(file)
    writer.flush()
    report.sessions = len(report.session_ids)
    return report


_PARALLEL_MIN_BYTES = 48 * 1024 * 1024
_SMALL_FILE_BYTES = 32 * 1024 * 1024


def _is_small(path: Path) -> bool:
    try:
        return path.stat().st_size <= _SMALL_FILE_BYTES
    except OSError:
        return False


def _pool_size(files: Sequence[Path], known: dict[str, _FileRow], workers: int | None) -> int:
    """Worker processes worth starting: as asked, or by default none unless there is much to read."""
    if workers is not None:
        return max(1, workers)
    wanted = min(2, os.cpu_count() or 1)
    if wanted <= 1:
        return 1
    pending = 0
    for file in files:
        try:
            size = file.stat().st_size
        except OSError:
            continue
        row = known.get(str(file.resolve()))
        pending += size - (row.offset if row and row.offset <= size else 0)
    return wanted if pending >= _PARALLEL_MIN_BYTES else 1


def _absorb(report: IngestReport, partial: IngestReport) -> None:
    report.files_changed += partial.files_changed
    report.bytes += partial.bytes
    report.turns += partial.turns
    report.steps += partial.steps
    report.tool_errors += partial.tool_errors
    report.events += partial.events
    report.skipped_lines += partial.skipped_lines
    report.excluded_sessions += partial.excluded_sessions
    report.errors.extend(partial.errors)
    for kind, n in partial.unknown_entry_types.items():
        report.unknown_entry_types[kind] = report.unknown_entry_types.get(kind, 0) + n
    report.session_ids.update(partial.session_ids)
