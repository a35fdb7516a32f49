"""The spool: the hooks' notes of session events, and how the ingester takes them over.

Hooks append one JSON line per event to `<spool>/events.jsonl` (see `hooks/_hookio.py`).
The ingester never edits that file: it renames it to `rotated-<ns>-<pid>.jsonl`, so the next
hook starts a fresh file, and deletes a rotated file only after the transcripts it names are
stored and the file has been quiet long enough that no hook can still be writing to it (a hook
that opened the file just before the rename writes its line into the rotated file).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson

SPOOL_VERSION = 1
LIVE_NAME = "events.jsonl"
ROTATED_PREFIX = "rotated-"
_FIELDS = ("session_id", "transcript_path", "agent_transcript_path", "cwd")


@dataclass(frozen=True)
class SpoolEvent:
    """One hook invocation as the spool recorded it."""

    event: str
    session_id: str | None = None
    transcript_path: str | None = None
    agent_transcript_path: str | None = None
    cwd: str | None = None
    at: str | None = None

    def to_line(self) -> bytes:
        """The line a hook would write for this event."""
        record = {"v": SPOOL_VERSION, "event": self.event, **{name: getattr(self, name) for name in _FIELDS}}
        record["at"] = self.at
        return orjson.dumps(record) + b"\n"


@dataclass(frozen=True)
class SpoolRead:
    """What one rotated file held when it was read."""

    path: Path
    size: int
    events: list[SpoolEvent]
    bad_lines: int


def live_path(spool_dir: Path) -> Path:
    """The file hooks append to."""
    return spool_dir / LIVE_NAME


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_line(line: bytes) -> SpoolEvent | None:
    """The event on one spool line, or None when the line is not a spool record."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        try:  # the standard parser also takes escaped lone surrogates, which orjson refuses
            record = json.loads(line)
        except ValueError:
            return None
    if not isinstance(record, dict) or not isinstance(record.get("event"), str):
        return None
    return SpoolEvent(
        event=record["event"],
        session_id=_text(record.get("session_id")),
        transcript_path=_text(record.get("transcript_path")),
        agent_transcript_path=_text(record.get("agent_transcript_path")),
        cwd=_text(record.get("cwd")),
        at=_text(record.get("at")),
    )


def append_event(spool_dir: Path, event: SpoolEvent) -> None:
    """Append an event the way the hooks do: one O_APPEND write of one line."""
    spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(live_path(spool_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, event.to_line())
    finally:
        os.close(fd)


def has_new_lines(spool_dir: Path) -> bool:
    """True when hooks appended to the live file since the last rotation."""
    try:
        return live_path(spool_dir).stat().st_size > 0
    except FileNotFoundError:
        return False


def rotate(spool_dir: Path) -> Path | None:
    """Move the live file aside so hooks start a new one; None when there was nothing in it."""
    if not has_new_lines(spool_dir):
        return None
    target = spool_dir / f"{ROTATED_PREFIX}{time.time_ns():020d}-{os.getpid()}.jsonl"
    try:
        os.rename(live_path(spool_dir), target)
    except FileNotFoundError:
        return None
    return target


def rotated_files(spool_dir: Path) -> list[Path]:
    """The rotated files not yet deleted, oldest first."""
    return sorted(spool_dir.glob(f"{ROTATED_PREFIX}*.jsonl"))


def read_rotated(path: Path) -> SpoolRead:
    """Every event in a rotated file, with the size read (a late hook may still add to it)."""
    data = path.read_bytes()
    events: list[SpoolEvent] = []
    bad = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        event = parse_line(line)
        if event is None:
            bad += 1
        else:
            events.append(event)
    return SpoolRead(path=path, size=len(data), events=events, bad_lines=bad)


def _subagent_transcripts(transcript: Path) -> list[Path]:
    # Claude Code keeps a session's subagents in `<session-id>/subagents/` beside the transcript.
    folder = transcript.with_suffix("") / "subagents"
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def transcript_paths(events: Iterable[SpoolEvent]) -> list[Path]:
    """The distinct transcripts the events point at, subagents' included, in first-seen order."""
    found: dict[Path, None] = {}
    for event in events:
        for raw in (event.transcript_path, event.agent_transcript_path):
            if raw is None:
                continue
            path = Path(raw).expanduser()
            if path.suffix != ".jsonl" or not path.is_file():
                continue
            found.setdefault(path, None)
            for subagent in _subagent_transcripts(path):
                found.setdefault(subagent, None)
    return list(found)


def quiet_since(path: Path, size: int, min_age: float, now: float | None = None) -> bool:
    """True when the file still has the size read and was last written `min_age` seconds ago."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    current = time.time() if now is None else now
    return stat.st_size == size and current - stat.st_mtime >= min_age
