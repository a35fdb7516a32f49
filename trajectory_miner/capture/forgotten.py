"""The sessions a user forgot, and the filter ingest applies so that they never come back.

`trajectory_miner.admin.forget` removes a session's rows and records its id, both in the store's
`forgotten_sessions` table and in `forgotten-sessions.txt` beside the store in the data home
(one id a line, readable by the user alone). The file outlives the database: a store moved
aside and rebuilt by ingest still knows what was forgotten. Ingest reads the ids once per run
(the union of both) and drops their records from every batch it parses, and their open turns
from the parser state it stores; a writable store takes into its table the ids only the file
holds, and the file takes those only the table holds.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from contextlib import suppress
from pathlib import Path

import orjson

from trajectory_miner.store import Store
from trajectory_miner.transcript.records import ParsedBatch

FORGOTTEN_NAME = "forgotten-sessions.txt"


def forgotten_file(database: Path) -> Path:
    """The list of forgotten ids kept beside the store at `database`."""
    return database.parent / FORGOTTEN_NAME


def read_forgotten_file(database: Path) -> frozenset[str]:
    """The ids in the file beside the store (none when there is no file yet)."""
    try:
        text = forgotten_file(database).read_text(encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def remember_forgotten(database: Path, ids: Iterable[str]) -> None:
    """Add ids to the file beside the store, replacing it whole so a crash leaves the old one."""
    known = read_forgotten_file(database)
    wanted = known | {i for i in ids if i and "\n" not in i and "\r" not in i}
    if wanted == known:
        return
    path = forgotten_file(database)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = path.with_name(path.name + ".new")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, "".join(f"{i}\n" for i in sorted(wanted)).encode("utf-8", "surrogateescape"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(fresh, path)
    with suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def forgotten_ids(store: Store) -> frozenset[str]:
    """Every session id the user asked to forget, from the store and the file beside it.

    A writable store and the file are brought to hold the same ids.
    """
    in_table = frozenset(r[0] for r in store.query("SELECT session_id FROM forgotten_sessions"))
    in_file = read_forgotten_file(store.path)
    if not store.read_only:
        if in_file - in_table:
            store.execute(
                "INSERT INTO forgotten_sessions SELECT unnest($1::VARCHAR[]), now()::TIMESTAMP "
                "ON CONFLICT (session_id) DO NOTHING",
                [sorted(in_file - in_table)],
            )
        if in_table - in_file:
            remember_forgotten(store.path, in_table)
    return in_table | in_file


def is_forgotten(session_id: str, forgotten: Collection[str]) -> bool:
    """True for a forgotten session and for any sidechain of one."""
    return session_id in forgotten or session_id.split("/", 1)[0] in forgotten


def drop_forgotten(batch: ParsedBatch, forgotten: Collection[str]) -> int:
    """Take the records of forgotten sessions out of a parsed batch; returns how many sessions went."""
    if not forgotten:
        return 0
    return batch.keep_sessions(lambda sid: not is_forgotten(sid, forgotten))


def scrub_state(state: str, forgotten: Collection[str]) -> str:
    """A transcript's stored parser state without the open turns and steps of forgotten sessions."""
    if not state or not forgotten:
        return state
    data = orjson.loads(state)
    cursors = data.get("cursors") if isinstance(data, dict) else None
    if not isinstance(cursors, dict):
        return state
    kept = {sid: cursor for sid, cursor in cursors.items() if not is_forgotten(sid, forgotten)}
    if len(kept) == len(cursors):
        return state
    data["cursors"] = kept
    return orjson.dumps(data).decode()
