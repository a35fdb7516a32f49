"""The saved index: a built `MemoryIndex` kept beside the store, so a new reader starts from it.

Reading every session's documents into a fresh index takes seconds on a large store; loading a
saved index takes a fraction of that, since its items stay packed until a question touches
them (see `index`). The file is the store's name with `.index` (`miner.index` beside
`miner.duckdb`), readable by the user alone and replaced atomically. It says:

- which code wrote it (`FORMAT`, the kept documents' version and the fields of the classes it
  holds): a file from other code is ignored, and the index built afresh;
- the store file it was read from, and that file's stamp (times and sizes of the database and
  its write-ahead log) when the index held exactly what the file did: a reader that finds the
  same stamp answers from the index as it is;
- the index's own watermarks (`snapshot.Marks`), read with its content: a reader that finds
  another stamp applies what changed since them (`snapshot.read_changes`), as a live index
  does after an ingest, or builds afresh when only that can follow the change. A stale saved
  index is never answered from as if it were current.

Unpickling runs code, so only a file this user owns and no one else can write is read; the
data home holding it is private anyway.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from trajectory_miner.retrieval import kept
from trajectory_miner.retrieval.episodes import Episode
from trajectory_miner.retrieval.index import MemoryIndex, NeedsRebuild, SessionInfo
from trajectory_miner.retrieval.snapshot import Message, read_changes
from trajectory_miner.store import Store

# Bump when what a saved file holds changes in a way the class fields do not show.
FORMAT = 2
# The most sessions a caller that allows it leaves for the next reader to catch up on.
RESAVE_AFTER = 200
Stamp = tuple[int, int, int, int]


def file_stamp(database: Path) -> Stamp | None:
    """The database file's stamp: it changes whenever a writer changed the store; None when absent."""
    try:
        main = os.stat(database)
    except FileNotFoundError:
        return None
    try:
        wal = os.stat(database.with_name(database.name + ".wal"))
        wal_stamp = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        wal_stamp = (0, 0)
    return (main.st_mtime_ns, main.st_size, *wal_stamp)


def saved_path(database: Path) -> Path:
    """Where the index of the store at `database` is saved."""
    return database.with_suffix(".index")


def _code() -> tuple[Any, ...]:
    """What tells this code's saved files from another's."""
    shape = sorted(MemoryIndex().__getstate__())
    return (
        FORMAT,
        kept.VERSION,
        tuple(f.name for f in fields(Episode)),
        tuple(f.name for f in fields(SessionInfo)),
        tuple(shape),
    )


def save(index: MemoryIndex, database: Path, stamp: Stamp | None) -> bool:
    """Write the index of the store at `database`, `stamp` being the file's when the index held
    exactly what it did (None: not known, so a reader always checks for changes); False when
    the file could not be written."""
    if index.marks is None:
        return False
    target = saved_path(database)
    header = (_code(), str(database.resolve()), stamp)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(header, handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True


def _trusted(path: Path) -> bool:
    try:
        info = os.stat(path)
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def load(database: Path) -> tuple[MemoryIndex, Stamp | None] | None:
    """The saved index of the store at `database` and the stamp it was saved with; None when
    there is none this code can use."""
    path = saved_path(database)
    if not _trusted(path):
        return None
    # The collector would walk the whole index again and again while it is unpickled.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as handle:
            code, source, stamp = pickle.load(handle)
            if code != _code() or source != str(database.resolve()):
                return None
            index = pickle.load(handle)
    except Exception:  # a damaged or foreign file is only a slower start
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(index, MemoryIndex) or index.marks is None:
        return None
    return index, stamp


def saved_at(database: Path) -> float:
    """When the saved index was written (0 when there is none)."""
    try:
        return saved_path(database).stat().st_mtime
    except OSError:
        return 0.0


def current_index(store: Store, *, resave_small: bool = True) -> MemoryIndex:
    """The index of the open store: the saved one brought up to date, or one built afresh;
    saved again for the next reader.

    With `resave_small` False, a saved index that caught up on at most `RESAVE_AFTER` sessions
    is left as it was: the next reader catches up on them as cheaply (the MCP server saves its
    own after reading), and the caller does not wait for the whole index to be written.

    A writable store is checkpointed first, so that the stamp saved is the one the file keeps
    once closed; a writer that changes the store after this call changes the stamp too.
    """
    loaded = load(store.path)
    index: MemoryIndex | None = None
    read_again: list[int] = []
    if loaded is not None:
        index, stamp = loaded
        before = index.marks
        try:
            index.apply(_counted(read_changes(store, before), read_again))
        except NeedsRebuild:
            index = None
        if index is not None and not index.needs_rebuild:
            if index.marks == before and stamp is not None and stamp == _checkpointed(store):
                return index  # saved as it is: nothing to write again
            if not resave_small and sum(read_again) <= RESAVE_AFTER:
                return index
        else:
            index = None
    if index is None:
        index = MemoryIndex.build(store)
    save(index, store.path, _checkpointed(store))
    return index


def _counted(messages: Iterable[Message], read_again: list[int]) -> Iterator[Message]:
    """The messages as they are, noting in `read_again` how many sessions each says changed."""
    for kind, body in messages:
        if kind == "changed":
            read_again.append(len(body[0]))
        yield kind, body


def _checkpointed(store: Store) -> Stamp | None:
    """The stamp the store's file keeps until the next write (a read-only store keeps its own)."""
    if not store.read_only:
        store.execute("CHECKPOINT")
    return file_stamp(store.path)
