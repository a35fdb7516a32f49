"""The background ingester: drain the hooks' spool into the store, one process at a time.

`drain_spool` is what `trajectory-miner ingest --from-spool` runs, started by a hook whenever
none is running. A non-blocking `flock` on `<home>/ingest.lock` makes it the only writer. The
hooks probe the same lock to decide whether to start one; the hook that starts one stamps the
time in the lock file so that others wait for it, and taking the lock clears the stamp.

Under the lock it rotates the spool, ingests the transcripts the events name, deletes the
rotated files that are stored and quiet, and goes round again while hooks keep appending,
pausing briefly so a burst becomes one transaction. After releasing the lock it looks once
more, because a hook that probed the lock just before the release started no ingester and
counts on this one to take its line.

Nothing a hook wrote is lost: a rotated file is deleted only after the ingest that read it
committed, so a crash or a busy store leaves it for the next run, which reads it again
(ingesting is idempotent). A transcript that makes ingest fail for another reason than the
store's or the disk's state is quarantined (see `trajectory_miner.capture.quarantine`), so the same
spool file cannot stop every later run.

A stopped session should be readable at once, and no reader can open the store while a
writer holds it. So the hooks' ingester (`readers_first`) commits each ingest and closes the
store (leaving its log for later), lets readers in for a moment, and only then opens it again
to score what changed and fold the log into the file. Until the session is stored the process
imports only what storing needs: the scorer and the miner load inside `score_changed`. A test
holds the list of modules the ingest goes without.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from trajectory_miner.capture import spool
from trajectory_miner.capture.ingest import IngestReport, file_key, ingest_paths
from trajectory_miner.capture.quarantine import Quarantined, log_path, now, record
from trajectory_miner.config import Config
from trajectory_miner.paths import Paths
from trajectory_miner.store import Store, StoreBusy, StoreError, open_store

IngestFn = Callable[[Store, Sequence[Path], Config], IngestReport]
AfterIngest = Callable[[Store, IngestReport], None]

QUIET_SECONDS = 30.0
"""How long a rotated file must go unwritten before it may be deleted: far beyond a hook's life."""
SETTLE_SECONDS = 0.5
"""The pause before another round while hooks keep firing: a burst becomes one transaction,
and readers get the store in between."""
READERS_FIRST_SECONDS = 0.25
"""How long the hooks' ingester leaves the store to readers between storing and scoring:
longer than a waiting reader's pause between tries (see `store.connect_with_retry`)."""


class DrainResult(BaseModel):
    """What one drain did."""

    locked_out: bool = Field(default=False, description="Another ingester held the lock; nothing was done.")
    busy: bool = Field(default=False, description="The store stayed locked; the spool was left for later.")
    rounds: int = 0
    spool_files: int = Field(default=0, description="Rotated spool files read.")
    lines: int = Field(default=0, description="Spool lines read (a file read twice counts twice).")
    bad_lines: int = 0
    transcripts: int = Field(default=0, description="Transcript files handed to ingest.")
    removed_files: int = 0
    kept_files: int = Field(default=0, description="Rotated files left for a later run.")
    ingest: IngestReport = Field(default_factory=IngestReport)


@dataclass(frozen=True)
class _Limits:
    quiet_seconds: float
    store_wait: float
    max_rounds: int
    settle_seconds: float
    readers_first: float | None


@contextmanager
def ingest_lock(path: Path, wait: float = 0.0) -> Iterator[bool]:
    """Hold the ingest lock for the block; yields False when another process keeps it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        held = _try_flock(fd, wait)
        if held:
            os.ftruncate(fd, 0)  # the starting hook's stamp: this ingester runs now
        yield held
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _try_flock(fd: int, wait: float) -> bool:
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def merge_reports(total: IngestReport, part: IngestReport) -> None:
    """Add one ingest report into a running total."""
    for name in IngestReport.model_fields:
        mine, theirs = getattr(total, name), getattr(part, name)
        if isinstance(mine, int):
            setattr(total, name, mine + theirs)
        elif isinstance(mine, dict):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        elif isinstance(mine, list):
            mine.extend(item for item in theirs if item not in mine)
    if total.session_ids:
        total.sessions = len(total.session_ids)


def drain_spool(
    paths: Paths,
    config: Config,
    *,
    quiet_seconds: float = QUIET_SECONDS,
    lock_wait: float = 0.0,
    store_wait: float = 5.0,
    max_rounds: int = 1000,
    settle_seconds: float = SETTLE_SECONDS,
    ingest: IngestFn = ingest_paths,
    after_ingest: AfterIngest | None = None,
    readers_first: float | None = None,
) -> DrainResult:
    """Store every transcript the spool points at, then forget the spool lines.

    Returns at once with `locked_out` when another ingester holds the lock for `lock_wait`
    seconds; with `busy` when the store stayed locked for `store_wait` seconds. Exceptions
    from ingesting propagate, and the spool lines stay for the next run. `after_ingest`, when
    given, runs after each ingest (e.g. `score_changed`): on the same open store, or, with
    `readers_first` seconds given, once the ingest is committed, the store closed and left to
    readers that long, and only when the ingest touched sessions.
    """
    result = DrainResult()
    if not paths.spool_dir.is_dir():
        return result
    stored: dict[Path, int] = {}
    first = True
    while True:
        with ingest_lock(paths.ingest_lock, lock_wait if first else 0.0) as held:
            if not held:
                result.locked_out = first
                return result
            _drain_locked(
                paths,
                config,
                result,
                stored,
                _Limits(quiet_seconds, store_wait, max_rounds, settle_seconds, readers_first),
                ingest,
                after_ingest,
            )
        first = False
        # A hook that found the lock held just before we let go left its line to us.
        if result.busy or result.rounds >= max_rounds or not spool.has_new_lines(paths.spool_dir):
            return result


def _drain_locked(
    paths: Paths,
    config: Config,
    result: DrainResult,
    stored: dict[Path, int],
    limits: _Limits,
    ingest: IngestFn,
    after_ingest: AfterIngest | None,
) -> None:
    # `stored` maps each rotated file already ingested to the size it had when read.
    spool_dir = paths.spool_dir
    while result.rounds < limits.max_rounds:
        spool.rotate(spool_dir)
        reads = [spool.read_rotated(path) for path in spool.rotated_files(spool_dir) if stored.get(path) != _size(path)]
        if not reads:
            break
        result.rounds += 1
        result.spool_files += len(reads)
        result.lines += sum(len(read.events) + read.bad_lines for read in reads)
        result.bad_lines += sum(read.bad_lines for read in reads)
        targets = spool.transcript_paths(event for read in reads for event in read.events)
        if targets:
            try:
                _ingest_targets(paths, config, targets, limits, ingest, after_ingest, result)
            except StoreBusy:
                result.busy = True
                break
            result.transcripts += len(targets)
        stored.update((read.path, read.size) for read in reads)
        _remove_quiet(stored, limits.quiet_seconds, result)
        if limits.settle_seconds and spool.has_new_lines(spool_dir):
            time.sleep(limits.settle_seconds)
    result.kept_files = len(spool.rotated_files(spool_dir))


def _ingest_targets(
    paths: Paths,
    config: Config,
    targets: Sequence[Path],
    limits: _Limits,
    ingest: IngestFn,
    after_ingest: AfterIngest | None,
    result: DrainResult,
) -> None:
    """Ingest what a round of spool lines points at.

    Should the work fail for another reason than the store's or the disk's state, each
    transcript is tried again alone and the ones that fail again are quarantined: the spool
    lines pointing at them are then dropped like the others, so no later run stumbles on them.
    A process that is killed (or interrupted) leaves the lines for the next run.
    """
    try:
        merge_reports(result.ingest, _ingest_once(paths, config, targets, limits, ingest, after_ingest))
        return
    except (StoreError, OSError):
        raise  # the store's or the disk's state, not the input's: the spool waits
    except Exception:  # noqa: BLE001 - found out below, one transcript at a time
        pass
    for target in targets:
        try:
            merge_reports(result.ingest, _ingest_once(paths, config, [target], limits, ingest, after_ingest))
        except (StoreError, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - this transcript is set aside, the others go on
            _quarantine_target(paths, target, exc)


def _ingest_once(
    paths: Paths,
    config: Config,
    targets: Sequence[Path],
    limits: _Limits,
    ingest: IngestFn,
    after_ingest: AfterIngest | None,
) -> IngestReport:
    if after_ingest is None or limits.readers_first is None:
        with open_store(paths.database, wait_seconds=limits.store_wait) as store:
            report = ingest(store, targets, config)
            if after_ingest is not None:
                after_ingest(store, report)
        return report
    with open_store(paths.database, wait_seconds=limits.store_wait) as store:
        report = ingest(store, targets, config)
        if report.session_ids:
            # Folding the log into the database file on closing takes longer as the store grows
            # (half a second at 10,000 sessions), and readers would wait for it: the writable
            # open that scores next folds it instead, while readers replay the small log.
            store.execute("PRAGMA disable_checkpoint_on_shutdown")
    if report.session_ids:
        # Opened again at once, the store would keep out the readers waiting for these sessions.
        time.sleep(limits.readers_first)
        with open_store(paths.database, wait_seconds=limits.store_wait) as store:
            after_ingest(store, report)
    return report


def score_changed(store: Store, report: IngestReport) -> None:
    """Score the sessions an ingest touched (see `trajectory_miner.capture.upkeep`).

    The `after_ingest` of the hooks' ingester: the scorer and what it imports load here, once
    the ingest is committed, rather than when the process starts.
    """
    from trajectory_miner.capture.upkeep import after_ingest

    after_ingest(store, report)


def _quarantine_target(paths: Paths, target: Path, exc: Exception) -> None:
    name = type(exc).__name__
    try:
        size = target.stat().st_size
    except OSError:
        size = 0
    record(
        log_path(paths.database),
        [
            Quarantined(
                file=file_key(target),
                offset=0,
                reason=f"{name} while storing it from the spool",
                at=now(),
                whole_file=True,
                size=size,
            )
        ],
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _remove_quiet(stored: dict[Path, int], quiet_seconds: float, result: DrainResult) -> None:
    for path, size in list(stored.items()):
        if spool.quiet_since(path, size, quiet_seconds):
            path.unlink(missing_ok=True)
            del stored[path]
            result.removed_files += 1
