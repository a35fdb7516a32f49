"""The index a long-lived reader keeps: refreshed when the database changes, never holding it.

DuckDB locks the file against every other process while a connection is open, and the
ingester must be able to write at any time. So `LiveIndex` reads the store only when the
database file (or its write-ahead log) changed since the last read, through a `Source` that
opens it briefly (in this process, or in a child process so that this one never carries
DuckDB's memory), updates the in-memory index, and lets go at once. When the ingester holds
the lock past a short wait, the answer comes from the last index, saying so; with no index
yet it is a clear "busy".
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from trajectory_miner.retrieval.index import MemoryIndex, NeedsRebuild
from trajectory_miner.retrieval.reader import LocalSource, Source
from trajectory_miner.store import StoreBusy, StoreError, StoreMissing

Stamp = tuple[int, int, int, int]
BUSY = "the store is busy (the ingester is writing to it): try again in a moment"


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
    ) -> None:
        self.database = database
        self.source: Source = source or LocalSource(database)
        self.wait_seconds = wait_seconds
        # With no index to fall back on, waiting out the ingester a little longer beats "busy".
        self.first_wait_seconds = max(first_wait_seconds, wait_seconds)
        self.on_refresh = on_refresh
        self._lock = threading.RLock()
        self._index: MemoryIndex | None = None
        self._stamp: Stamp | None = None
        self._read_at = 0.0

    def _file_stamp(self) -> Stamp | None:
        try:
            main = os.stat(self.database)
        except FileNotFoundError:
            return None
        try:
            wal = os.stat(self.database.with_name(self.database.name + ".wal"))
            wal_stamp = (wal.st_mtime_ns, wal.st_size)
        except FileNotFoundError:
            wal_stamp = (0, 0)
        return (main.st_mtime_ns, main.st_size, *wal_stamp)

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
        stamp = self._file_stamp()
        if stamp is None:
            self._index, self._stamp = None, None
            raise self._missing()
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
        if self.on_refresh is not None:
            self.on_refresh(index)
        return ""

    def warm(self) -> None:
        """Build the index ahead of the first question (errors wait for that question to report)."""
        try:
            with self.reading():
                pass
        except StoreError:
            pass

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
