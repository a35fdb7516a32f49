"""Ingest: transcripts on disk into the store, incrementally and idempotently.

Each transcript is read from the byte offset where the last read stopped, in batches of
whole lines; a batch's records, the new offset and the parser state are written in one
transaction, so a crash at any point loses nothing and a re-read duplicates nothing. A file
that shrank or whose first bytes changed (rotated, rewritten) is read again from the start.
Lines that name no session belong to the session the file's other lines name; the file's own
name is the session only when none does. Each run notes in `miner_state` when it ran, where it
looked and how many files it found, so that an ingest that found nothing is told from none.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import BinaryIO

import orjson
from pydantic import BaseModel, Field

from trajectory_miner.batch_writer import BatchWriter, FileRow, load_file_rows, merge_batch
from trajectory_miner.config import Config, is_excluded
from trajectory_miner.forgotten import is_forgotten
from trajectory_miner.redaction import Redactor
from trajectory_miner.store import Store, checkpoints_deferred, memory_capped
from trajectory_miner.transcript import ParsedBatch, ParseState, Redact, TranscriptParser

_BATCH_BYTES = 8 * 1024 * 1024
# Writes need little of DuckDB's buffer pool; ingest must stay small whatever it reads.
INGEST_MEMORY_LIMIT = "128MB"
# One checkpoint per this much logged work rather than one per commit of a bulk load.
INGEST_CHECKPOINT_THRESHOLD = "256MB"
_BATCH_LINES = 20_000
_HEAD_BYTES = 4096
LAST_INGEST_KEY = "ingest:last_run"
"""The `miner_state` key of the last run's time, folders and file count (JSON)."""

Progress = Callable[[int, int, str], None]


class IngestReport(BaseModel):
    """What one ingest run read and stored, and where it looked."""

    roots: list[str] = Field(default_factory=list)
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


def file_key(path: Path) -> str:
    """How the store names a transcript: its absolute path, as text even when not UTF-8."""
    return _path_text(str(path.resolve()))


def _path_text(name: str) -> str:
    """A path or file name as valid text: bytes that are not UTF-8 are written as `\\xff`."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _default_session(path: Path) -> str:
    """The session a file belongs to when none of its lines names one: the file's own name."""
    if path.parent.name == "subagents":
        return _path_text(path.parent.parent.name)
    return _path_text(path.stem)


def _default_project(path: Path) -> str:
    """The project a file belongs to when its lines name no working directory: its folder."""
    folder = path.parent.parent.parent if path.parent.name == "subagents" else path.parent
    return _path_text(folder.name)


def read_file(
    known: FileRow | None, path: Path, config: Config, redact: Redact, report: IngestReport
) -> Iterator[tuple[str, FileRow, ParsedBatch, int]]:
    """What is new in one transcript: batches of records, each with the file's row after it."""
    key = file_key(path)
    size = path.stat().st_size
    row = known or FileRow()
    with path.open("rb") as handle:
        if row.head_len:
            same_head = row.head_len <= size and _head_hash(handle, row.head_len) == row.head_hash
            if not same_head or size < row.offset:
                row = FileRow()
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
    job: tuple[FileRow | None, Path, Config],
) -> tuple[list[tuple[str, FileRow, ParsedBatch, int]], IngestReport]:
    """Worker: one small file read to its end, its batches merged (runs in another process)."""
    known, path, config = job
    report = IngestReport()
    merged: tuple[str, FileRow, ParsedBatch, int] | None = None
    try:
        for key, row, batch, read in read_file(known, path, config, _worker_redactor(config), report):
            if merged is None:
                merged = (key, row, batch, read)
            else:
                merge_batch(merged[2], batch)
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

    batch.keep_sessions(lambda sid: sid not in excluded and sid.split("/", 1)[0] not in parents)


def _count(batch: ParsedBatch, report: IngestReport) -> None:
    report.turns += len(batch.turns)
    report.steps += len(batch.steps)
    report.tool_errors += sum(1 for step in batch.steps.values() if step.is_error)
    report.events += len(batch.events)
    report.skipped_lines += batch.skipped_lines
    for kind, n in batch.unknown_entry_types.items():
        report.unknown_entry_types[kind] = report.unknown_entry_types.get(kind, 0) + n
    report.session_ids.update(batch.sessions)


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
    with memory_capped(store, INGEST_MEMORY_LIMIT), checkpoints_deferred(store, INGEST_CHECKPOINT_THRESHOLD):
        return _ingest(store, paths, config, redact, progress, workers)


def _ingest(
    store: Store,
    paths: Sequence[Path],
    config: Config,
    redact: Redact | None,
    progress: Progress | None,
    workers: int | None,
) -> IngestReport:
    files: list[Path] = []
    for path in paths:
        files.extend(find_transcripts(path) if path.exists() else [])
    report = IngestReport(roots=[_path_text(str(p)) for p in paths], files=len(files))
    known = load_file_rows(store)
    writer = BatchWriter(store)
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
            jobs = [(known.get(file_key(f)), f, config) for f in small]
            for file, (results, partial) in zip(small, pool.map(_read_whole_file, jobs, chunksize=8), strict=True):
                for key, row, batch, read in results:
                    writer.add(key, row, batch, read)
                _absorb(report, partial)
                tick(file)
        files = [f for f in files if f not in small_set]
    for file in files:
        try:
            for key, row, batch, read in read_file(known.get(file_key(file)), file, config, redactor, report):
                writer.add(key, row, batch, read)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            report.errors.append(f"{file}: {exc.strerror or exc}")
        tick(file)
    writer.flush()
    if writer.forgotten:
        report.session_ids = {sid for sid in report.session_ids if not is_forgotten(sid, writer.forgotten)}
    report.sessions = len(report.session_ids)
    _note_run(store, report)
    return report


class LastRun(BaseModel):
    """When an ingest last ran, where it looked and how many transcripts it found there."""

    at: datetime
    roots: list[str]
    files: int


def _note_run(store: Store, report: IngestReport) -> None:
    run = LastRun(at=datetime.now(UTC), roots=report.roots, files=report.files)
    store.con.execute(
        "INSERT INTO miner_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [LAST_INGEST_KEY, run.model_dump_json()],
    )


def last_run(value: str | None) -> LastRun | None:
    """The last run as `miner_state` holds it (None when none was noted or it cannot be read)."""
    if not value:
        return None
    try:
        return LastRun.model_validate_json(value)
    except ValueError:
        return None


_PARALLEL_MIN_BYTES = 48 * 1024 * 1024
_SMALL_FILE_BYTES = 32 * 1024 * 1024


def _is_small(path: Path) -> bool:
    try:
        return path.stat().st_size <= _SMALL_FILE_BYTES
    except OSError:
        return False


def _pool_size(files: Sequence[Path], known: dict[str, FileRow], workers: int | None) -> int:
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
        row = known.get(file_key(file))
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
