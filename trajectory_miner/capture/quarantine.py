"""Quarantine: transcript lines and files that could not be read, recorded and passed over.

One bad input must not stop capture. A line that fails is skipped and ingest reads on; a
file that fails as a whole is skipped until it grows, when it is tried again from where it
stopped. Each is recorded, with its file, its byte offset and the reason, in a log beside
the store (`quarantine.jsonl` in the data home, readable by the user alone), which `doctor`
reads. The log keeps the newest `MAX_RECORDS` records.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

MAX_RECORDS = 1000
LOG_NAME = "quarantine.jsonl"


@dataclass(frozen=True)
class Quarantined:
    """A line (or, with `whole_file`, a file) that could not be read.

    `offset` is where the line starts, or where reading the file stopped; `size` is the
    file's size then, so that a file held back is tried again once it has grown.
    """

    file: str
    offset: int
    reason: str
    at: str = ""
    whole_file: bool = False
    size: int = 0


def log_path(database: Path) -> Path:
    """The quarantine log of the store at `database`: beside it, in the data home."""
    return database.with_name(LOG_NAME)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record(log: Path, items: Sequence[Quarantined]) -> None:
    """Append records to the log, keeping the newest `MAX_RECORDS`; a log that cannot be
    written is passed over (the skipped input is skipped all the same)."""
    if not items:
        return
    kept = [*read(log), *items][-MAX_RECORDS:]
    temporary = log.with_name(log.name + ".tmp")
    with suppress(OSError):
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for item in kept:
                handle.write(orjson.dumps(asdict(item), option=orjson.OPT_APPEND_NEWLINE))
        os.chmod(temporary, 0o600)
        os.replace(temporary, log)


def read(log: Path) -> list[Quarantined]:
    """The records of the log, oldest first; lines that are not records are passed over."""
    try:
        raw = log.read_bytes()
    except OSError:
        return []
    found: list[Quarantined] = []
    for line in raw.splitlines():
        with suppress(orjson.JSONDecodeError, TypeError, ValueError):
            data = orjson.loads(line)
            if isinstance(data, dict):
                found.append(Quarantined(**data))
    return found


def held_files(records: Iterable[Quarantined]) -> dict[str, int]:
    """Files held back as a whole, each with the size it had then (the newest record wins)."""
    held: dict[str, int] = {}
    for item in records:
        if item.whole_file:
            held[item.file] = item.size
    return held
