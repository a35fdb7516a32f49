"""The index a long-lived reader keeps: refreshed when the database changes, never holding it.

DuckDB locks the file against every other process while a connection is open, and the
ingester must be able to write at any time. So `LiveIndex` reads the store only when the
database file (or its write-ahead log) changed since the last read, through a `Source` that
opens it briefly (in this process, or in a child process so that this one never carries
DuckDB's memory), updates the in-memory index, and lets go at once. When the ingester holds
the lock past a short wait, the answer comes from the last index, saying so; with no index
yet it is a clear "busy".

With `saved`, the first read starts from the index saved beside the store (`saved`): as it is
when the database file is as it was saved, else brought up to date with what changed since.
After each read of the store the index is saved again, through `later`: at once by default; a
server passes one that runs the save in its own task group after the answer, so that the
question that found the store changed does not wait for it.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from trajectory_miner.retrieval.index import MemoryIndex, NeedsRebuild
from trajectory_miner.retrieval.reader import LocalSource, Source
from trajectory_miner.retrieval.saved import Stamp, file_stamp, load, save, saved_at
from trajectory_miner.store import StoreBusy, StoreError, StoreMissing

BUSY = "the store is busy (the ingester is writing to it): try again in a moment"

Later = Callable[[Callable[[], object]], None]
"""Runs a job that need not hold up the answer (saving the index)."""


def at_once(job: Callable[[], object]) -> None:
    """Run the job now, in the caller: for callers with no server around them."""
    job()


class LiveIndex:
    """A `MemoryIndex` over one database file, kept fresh across calls (thread-safe)."""

    def __init__(
        self,
        database: Path,
        *,
        source: Source | None = None,
        wait_seconds: float = 0.5,
        first_wait_seconds: float = 3.0,
        on_refresh: Callable[[MemoryIndex], None] | None = None,
        saved: bool = False,
        later: Later = at_once,
    ) -> None:
        self.database = database
        self.source: Source = source or LocalSource(database)
        self.wait_seconds = wait_seconds
        # With no index to fall back on, waiting out the ingester a little longer beats "busy".
        self.first_wait_seconds = max(first_wait_seconds, wait_seconds)
        self.on_refresh = on_refresh
        self.saved = saved
        self.later = later
        self._lock = threading.RLock()
        self._index: MemoryIndex | None = None
        self._stamp: Stamp | None = None
        self._read_at = 0.0

    def _missing(self) -> StoreMissing:
        return StoreMissing(f"no store at {self.database} yet: run `trajectory-miner ingest` first")

    def _read(self) -> MemoryIndex:
        if self._index is None:
            return MemoryIndex.from_messages(self.source.changes(None, self.first_wait_seconds))
        try:
            self._index.apply(self.source.changes(self._index.marks, self.wait_seconds))
            if not self._index.needs_rebuild:
                return self._index
        except NeedsRebuild:
            pass
        return MemoryIndex.from_messages(self.source.changes(None, self.wait_seconds))

    def _refresh(self) -> str:
        """Bring the index up to date; returns a note when it could not."""
        stamp = file_stamp(self.database)
        if stamp is None:
            self._index, self._stamp = None, None
            raise self._missing()
        if self._index is None and self.saved and self._start_saved(stamp):
            return ""
        if self._index is not None and stamp == self._stamp:
            return ""
        try:
            index = self._read()
        except StoreBusy:
            if self._index is None:
                raise StoreBusy(BUSY) from None
            age = time.time() - self._read_at
            return f"the store is busy (the ingester is writing): answered from the index read {age:.0f} s ago"
        except StoreMissing:
            self._index, self._stamp = None, None
            raise self._missing() from None
        self._index, self._stamp, self._read_at = index, stamp, time.time()
        _settled()
        if self.on_refresh is not None:
            self.on_refresh(index)
        if self.saved:
            self.later(partial(self._save, stamp))
        return ""

    def _start_saved(self, stamp: Stamp) -> bool:
        """Start from the saved index; True when it holds what the database file does now."""
        loaded = load(self.database)
        if loaded is None:
            return False
        index, saved_stamp = loaded
        # Either way a store too busy to read is answered from it, saying how old it is.
        self._index, self._read_at = index, saved_at(self.database)
        _settled()
        if saved_stamp != stamp:
            return False
        self._stamp = stamp
        return True

    def _save(self, stamp: Stamp) -> None:
        """Save the index, unless a newer read came first (it saves its own)."""
        with self._lock:
            if self._index is not None and self._stamp == stamp:
                save(self._index, self.database, stamp)

    def warm(self) -> None:
        """Build the index ahead of the first question (errors wait for that question to report)."""
        try:
            with self.reading():
                pass
        except StoreError:
            pass

    def stop_reading(self) -> None:
        """End the reads of the store under way, for a server that stops (a read then fails as `StoreError`).

        Only a source that reads in child processes has reads to end: it kills them.
        """
        stop = getattr(self.source, "stop", None)
        if callable(stop):
            stop()

    @contextmanager
    def reading(self) -> Iterator[tuple[MemoryIndex, str]]:
        """The current index and a note (empty unless the answer may be stale), under the lock."""
        with self._lock:
            note = self._refresh()
            assert self._index is not None
            yield self._index, note

    def call(
        self, name: str, kwargs: dict[str, Any], *, writable: bool = False, wait_seconds: float | None = None
    ) -> BaseModel:
        """Run one of the source's store calls (`session_detail`, `record_feedback`)."""
        if not self.database.exists():
            raise self._missing()
        wait = self.wait_seconds if wait_seconds is None else wait_seconds
        try:
            return self.source.call(name, kwargs, writable=writable, wait_seconds=wait)
        except StoreBusy:
            raise StoreBusy(BUSY) from None


def _settled() -> None:
    """Keep the garbage collector off the index just loaded.

    A full collection walks every object the index holds, a tenth of a second at 10,000
    sessions, at a moment no question chooses. The index's objects are freed by reference
    counting when it is replaced; only new objects are watched for cycles.
    """
    gc.freeze()
