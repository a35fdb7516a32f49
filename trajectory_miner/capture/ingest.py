"""Ingest: transcripts on disk into the store, incrementally and idempotently.

Each transcript is read from the byte offset where the last read stopped, in batches of
whole lines; a batch's records, the new offset and the parser state are written in one
transaction, so a crash at any point loses nothing and a re-read duplicates nothing. A file
that shrank or whose first bytes changed (rotated, rewritten) is read again from the start.
Lines that name no session belong to the session the file's other lines name; the file's own
name is the session only when none does. Each run notes in `miner_state` when it ran, where it
looked and how many files it found, so that an ingest that found nothing is told from none.

No input stops an ingest: a line the parser cannot read, or a file that fails as a whole, is
recorded in the quarantine log beside the store and skipped (see `trajectory_miner.capture.quarantine`),
and the other lines and files are stored.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson
from pydantic import BaseModel, Field

from trajectory_miner.capture.batch_writer import BatchWriter, FileRow, Rows, load_file_rows, merge_rows, table_rows
from trajectory_miner.capture.forgotten import is_forgotten
from trajectory_miner.capture.quarantine import Quarantined, held_files, log_path, now
from trajectory_miner.capture.quarantine import read as read_quarantine
from trajectory_miner.capture.quarantine import record as record_quarantine
from trajectory_miner.config import Config, is_excluded
from trajectory_miner.progress import Progress
from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.store import Store, checkpoints_deferred, memory_capped
from trajectory_miner.store.state import set_state
from trajectory_miner.transcript.parser import Redact, TranscriptParser
from trajectory_miner.transcript.records import ParsedBatch, ParseState

_BATCH_BYTES = 8 * 1024 * 1024
# Writes need little of DuckDB's buffer pool; ingest must stay small whatever it reads.
INGEST_MEMORY_LIMIT = "128MB"
# One checkpoint per this much logged work rather than one per commit of a bulk load.
INGEST_CHECKPOINT_THRESHOLD = "256MB"
_BATCH_LINES = 20_000
MAX_LINE_BYTES = 128 * 1024 * 1024
"""Longer lines are not read (parsing one takes several times its size in memory): they are
quarantined."""
_SKIP_PIECE = 1024 * 1024
# Lines run to kilobytes: a larger buffer than the default 8 KB halves the reads.
_READ_BUFFER = 256 * 1024
# An ingest that read this much rewrote enough of the store to give free blocks back after it.
_BIG_INGEST_BYTES = 64 * 1024 * 1024
_HEAD_BYTES = 4096
LAST_INGEST_KEY = "ingest:last_run"
"""The `miner_state` key of the last run's time, folders and file count (JSON)."""

Batch = tuple[str, FileRow, Rows, int]
"""A file's key, its row after a run of lines, the rows read from those lines, and their size."""


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
    quarantined: list[Quarantined] = Field(default_factory=list)
    held_files: int = Field(default=0, description="Files passed over: they failed before and have not grown.")
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


def _read_batches(handle: BinaryIO, offset: int) -> Iterator[tuple[list[bytes], list[int], int]]:
    """Whole lines from `offset`, in batches, each with the lines' sizes and the offset after it.

    A last line without its newline is taken only when it is complete JSON: otherwise the
    writer may still be writing it, and it is left for the next read. A line longer than
    `MAX_LINE_BYTES` is passed over unread: it stands in the batch as an empty line of its size.
    """
    handle.seek(offset)
    while True:
        lines: list[bytes] = []
        sizes: list[int] = []
        size = 0
        while size < _BATCH_BYTES and len(lines) < _BATCH_LINES:
            line = handle.readline(MAX_LINE_BYTES + 1)
            length = len(line)
            if length > MAX_LINE_BYTES:
                rest = 0 if line.endswith(b"\n") else _skip_line(handle)
                if rest < 0:
                    break
                line, length = b"", length + rest
            elif not line:
                break
            elif not line.endswith(b"\n"):
                try:
                    orjson.loads(line)
                except orjson.JSONDecodeError:
                    break
            lines.append(line)
            sizes.append(length)
            size += length
        if not lines:
            return
        offset += size
        yield lines, sizes, offset


def _skip_line(handle: BinaryIO) -> int:
    """Read through the end of the current line a piece at a time; the bytes it took, or -1
    when the file ends first (the line is still being written)."""
    skipped = 0
    while True:
        piece = handle.readline(_SKIP_PIECE)
        if not piece:
            return -1
        skipped += len(piece)
        if piece.endswith(b"\n"):
            return skipped


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
) -> Iterator[Batch]:
    """What is new in one transcript: batches of rows, each with the file's row after it."""
    key = file_key(path)
    size = path.stat().st_size
    row = known or FileRow()
    with path.open("rb", buffering=_READ_BUFFER) as handle:
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
        for lines, sizes, offset in _read_batches(handle, row.offset):
            batch = parser.feed(lines)
            _note_quarantined(key, row.offset, lines, sizes, batch, report)
            for facts in batch.sessions.values():
                facts.project = facts.project or _default_project(path)
            _drop_excluded(batch, config, report)
            row.offset = offset
            row.lines += batch.lines
            row.skipped_lines += batch.skipped_lines
            row.unknown.update(batch.unknown_entry_types)
            row.state = parser.state.model_dump_json()
            read = sum(sizes)
            report.bytes += read
            _count(batch, report)
            yield key, row, table_rows(batch), read


def _note_quarantined(
    key: str, start: int, lines: list[bytes], sizes: list[int], batch: ParsedBatch, report: IngestReport
) -> None:
    """Record the lines of a batch that were too long to read or that the parser could not
    read, at their byte offsets."""
    unread = [
        (i, f"a line of {size:,} bytes, past the {MAX_LINE_BYTES:,} read")
        for i, size in enumerate(sizes)
        if size and not lines[i]
    ]
    if not unread and not batch.quarantined:
        return
    batch.skipped_lines += len(unread)
    starts = [start]
    for size in sizes:
        starts.append(starts[-1] + size)
    report.quarantined.extend(
        Quarantined(file=key, offset=starts[index], reason=reason, at=now())
        for index, reason in sorted([*unread, *batch.quarantined])
    )


def _guarded(batches: Iterator[Batch], path: Path, report: IngestReport) -> Iterator[Batch]:
    """The batches of one file; a file that fails while being read is reported (gone or
    unreadable) or quarantined (anything else), and what was read before stays."""
    reached = -1
    while True:
        try:
            item = next(batches)
        except StopIteration:
            return
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            report.errors.append(f"{path}: {exc.strerror or exc}")
            return
        except Exception as exc:  # noqa: BLE001 - one file that cannot be read must not stop the others
            report.quarantined.append(_whole_file(path, reached, exc))
            return
        reached = item[1].offset
        yield item


def _whole_file(path: Path, reached: int, exc: Exception) -> Quarantined:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    reason = f"{type(exc).__name__} while reading the file"
    return Quarantined(file=file_key(path), offset=max(reached, 0), reason=reason, at=now(), whole_file=True, size=size)


def _read_whole_file(job: tuple[FileRow | None, Path, Config]) -> tuple[list[Batch], IngestReport]:
    """Worker: one small file read to its end, its batches merged (runs in another process).

    What goes back is rows of plain values, which pickle several times faster than records.
    """
    known, path, config = job
    report = IngestReport()
    merged: Batch | None = None
    for key, row, rows, read in _guarded(
        read_file(known, path, config, _worker_redactor(config), report), path, report
    ):
        if merged is None:
            merged = (key, row, rows, read)
        else:
            merge_rows(merged[2], rows)
            merged = (key, row, merged[2], merged[3] + read)
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
    files = _not_held(files, log_path(store.path), report)
    # Files named one by one (the hooks' ingester) read only their own rows; a folder reads
    # every row, which costs less than resolving each path found in it once more.
    keys = {f: file_key(f) for f in files}  # resolving a path takes a system call per folder
    known = load_file_rows(store, None if any(p.is_dir() for p in paths) else list(keys.values()))
    writer = BatchWriter(store)
    pool_size = _pool_size(files, keys, known, workers) if redact is None else 1
    redactor = redact or _worker_redactor(config)
    done = 0

    def tick(file: Path) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(files), file.name)

    small = [f for f in files if _is_small(f)] if pool_size > 1 else []
    if small:
        # Loaded here: the hooks' ingester reads a file or two in this process and needs none of it.
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        from multiprocessing import get_context

        read_in_pool: set[Path] = set()
        try:
            with ProcessPoolExecutor(pool_size, mp_context=get_context("spawn")) as pool:
                jobs = [(known.get(keys[f]), f, config) for f in small]
                for file, (results, partial) in zip(small, pool.map(_read_whole_file, jobs, chunksize=8), strict=True):
                    for key, row, rows, read in results:
                        writer.add(key, row, rows, read)
                    _absorb(report, partial)
                    read_in_pool.add(file)
                    tick(file)
        except BrokenProcessPool:
            pass  # a worker died (killed, out of memory): what it had left is read here, file by file
        files = [f for f in files if f not in read_in_pool]
    for file in files:
        for key, row, rows, read in _guarded(
            read_file(known.get(keys[file]), file, config, redactor, report), file, report
        ):
            writer.add(key, row, rows, read)
        tick(file)
    writer.flush()
    record_quarantine(log_path(store.path), report.quarantined)
    if writer.forgotten:
        report.session_ids = {sid for sid in report.session_ids if not is_forgotten(sid, writer.forgotten)}
    report.sessions = len(report.session_ids)
    _note_run(store, report)
    store.reclaim = store.reclaim or report.bytes >= _BIG_INGEST_BYTES
    return report


class LastRun(BaseModel):
    """When an ingest last ran, where it looked and how many transcripts it found there."""

    at: datetime
    roots: list[str]
    files: int


def _note_run(store: Store, report: IngestReport) -> None:
    run = LastRun(at=datetime.now(UTC), roots=report.roots, files=report.files)
    set_state(store, LAST_INGEST_KEY, run.model_dump_json())


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


def _pool_size(files: Sequence[Path], keys: dict[Path, str], known: dict[str, FileRow], workers: int | None) -> int:
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
        if size > _SMALL_FILE_BYTES:
            continue  # read here whatever the pool does: no reason to start one
        row = known.get(keys[file])
        pending += size - (row.offset if row and row.offset <= size else 0)
    return wanted if pending >= _PARALLEL_MIN_BYTES else 1


def _not_held(files: list[Path], log: Path, report: IngestReport) -> list[Path]:
    """The files to read: those quarantined as a whole are passed over until they grow."""
    held = held_files(read_quarantine(log))
    if not held:
        return files
    kept: list[Path] = []
    for file in files:
        size = held.get(file_key(file))
        try:
            grown = size is None or file.stat().st_size != size
        except OSError:
            grown = True
        if grown:
            kept.append(file)
        else:
            report.held_files += 1
    return kept


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
    report.quarantined.extend(partial.quarantined)
    for kind, n in partial.unknown_entry_types.items():
        report.unknown_entry_types[kind] = report.unknown_entry_types.get(kind, 0) + n
    report.session_ids.update(partial.session_ids)
