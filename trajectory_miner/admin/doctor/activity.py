"""The doctor's look at what the hooks and the ingester have been doing.

The last ingest, the spool backlog and its age, the hooks' error log and the quarantined lines.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trajectory_miner.admin.doctor.findings import Check, shell_quote
from trajectory_miner.admin.doctor.store import StoreFacts, ingester_running
from trajectory_miner.capture import quarantine, spool
from trajectory_miner.capture.ingest import file_key
from trajectory_miner.paths import Paths
from trajectory_miner.utc import aware

BACKLOG_PROBLEM_AGE = timedelta(minutes=15)
RECENT_HOOK_ERRORS = timedelta(hours=24)


def ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def check_last_ingest(facts: StoreFacts | None, now: datetime) -> Check:
    """When a transcript was last read into the store."""
    if facts is None:
        return Check(name="ingest", level="note", summary="last ingest unknown (the store was not read)")
    if facts.last_ingest is None and facts.last_run is not None and not facts.last_run.files:
        # Running it again would find the same nothing: say where it looked instead.
        run = facts.last_run
        return Check(
            name="ingest",
            level="note",
            summary=f"the last ingest ({ago(run.at, now)}) found no transcripts under {', '.join(run.roots)}",
            fix="sessions are read from there once Claude Code has written one; if your transcripts are "
            "elsewhere, set CLAUDE_CONFIG_DIR to the folder that holds their projects/ folder",
            details={"last_run": run.model_dump(mode="json")},
        )
    if facts.last_ingest is None:
        return Check(
            name="ingest",
            level="note",
            summary="nothing ingested yet",
            fix="run `trajectory-miner ingest` to read your past sessions",
        )
    return Check(
        name="ingest",
        level="ok",
        summary=f"last ingest {ago(facts.last_ingest, now)} ({facts.last_ingest:%Y-%m-%d %H:%M} UTC)",
        details={"last_ingest": facts.last_ingest.isoformat()},
    )


def _spool_events(spool_dir: Path) -> tuple[list[spool.SpoolEvent], int]:
    events: list[spool.SpoolEvent] = []
    bad = 0
    for path in [spool.live_path(spool_dir), *spool.rotated_files(spool_dir)]:
        try:
            read = spool.read_rotated(path)
        except OSError:
            continue
        events.extend(read.events)
        bad += read.bad_lines
    return events, bad


def _waiting(event: spool.SpoolEvent, offsets: dict[str, int] | None) -> bool:
    """True when the event's transcript has lines the store has not read (or cannot tell)."""
    if offsets is None:
        return True
    for raw in (event.transcript_path, event.agent_transcript_path):
        if raw is None:
            continue
        path = Path(raw).expanduser()
        try:
            size = path.stat().st_size
            key = file_key(path)
        except OSError:
            continue
        if size > offsets.get(key, 0):
            return True
    return False


def moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return aware(value)


def check_spool(paths: Paths, facts: StoreFacts | None, now: datetime) -> Check:
    """Spooled hook events whose transcripts are not stored yet, and how long they have waited."""
    events, bad = _spool_events(paths.spool_dir)
    offsets = facts.offsets if facts is not None else None
    waiting = [e for e in events if _waiting(e, offsets)]
    stamps = [m for m in (moment(e.at) for e in waiting) if m is not None]
    oldest = min(stamps) if stamps else None
    details: dict[str, Any] = {
        "events": len(events),
        "waiting": len(waiting),
        "bad_lines": bad,
        "oldest_waiting": oldest.isoformat() if oldest else None,
    }
    if not waiting:
        return Check(
            name="spool", level="ok", summary=f"no backlog ({len(events)} spooled events, all stored)", details=details
        )
    age = f", the oldest from {ago(oldest, now)}" if oldest else ""
    summary = f"{len(waiting)} spooled event(s) not ingested yet{age}"
    if offsets is None:
        summary += " (the store was not read, so all are counted)"
    if ingester_running(paths.ingest_lock):
        return Check(name="spool", level="ok", summary=summary + "; the ingester is at work", details=details)
    if oldest is not None and now - oldest > BACKLOG_PROBLEM_AGE:
        return Check(
            name="spool",
            level="problem",
            summary=summary,
            fix="run `trajectory-miner ingest --from-spool`; if it keeps happening, see the environment line",
            details=details,
        )
    return Check(name="spool", level="note", summary=summary + "; the next hook starts the ingester", details=details)


def _log_lines(log: Path) -> list[str]:
    lines: list[str] = []
    for path in (log.with_name(log.name + ".1"), log):
        try:
            lines.extend(path.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
    return [line for line in lines if line.strip()]


def check_hook_errors(log: Path, now: datetime) -> Check:
    """Errors the hooks noted in `hook-errors.log`: how many, how recent, the last few."""
    lines = _log_lines(log)
    if not lines:
        return Check(name="hook errors", level="ok", summary="none logged")
    stamps = [m for m in (moment(line.split(" ", 1)[0]) for line in lines) if m is not None]
    last = max(stamps) if stamps else None
    details = {"count": len(lines), "last_lines": lines[-3:], "last_at": last.isoformat() if last else None}
    when = f", the last {ago(last, now)}" if last else ""
    summary = f"{len(lines)} logged{when}: {lines[-1][:160]}"
    fix = f"read {shell_quote(log)}; once the cause is fixed, delete the log"
    if last is None or now - last <= RECENT_HOOK_ERRORS:
        return Check(name="hook errors", level="problem", summary=summary, fix=fix, details=details)
    return Check(name="hook errors", level="note", summary=summary, fix=fix, details=details)


def check_quarantine(log: Path, now: datetime) -> Check:
    """Transcript lines and files ingest could not read and passed over (see `quarantine`)."""
    records = quarantine.read(log)
    if not records:
        return Check(name="quarantine", level="ok", summary="no transcript line had to be skipped")
    files = [r for r in records if r.whole_file]
    last = records[-1]
    where = "the whole file" if last.whole_file else f"the line at byte {last.offset:,}"
    summary = (
        f"{len(records) - len(files)} transcript line(s) and {len(files)} file(s) could not be read and were "
        f"skipped, the rest is stored; last: {where} of {last.file[-120:]}: {last.reason}"
    )
    fix = (
        f"capture goes on without them; keep the transcripts named in {shell_quote(log)} and report the reasons given "
        "there, then delete the log to clear this (a file skipped whole is then read again)"
    )
    details = {"lines": len(records) - len(files), "files": len(files), "last": [asdict(r) for r in records[-3:]]}
    stamp = moment(last.at)
    if stamp is None or now - stamp <= RECENT_HOOK_ERRORS:
        return Check(name="quarantine", level="problem", summary=summary, fix=fix, details=details)
    return Check(name="quarantine", level="note", summary=summary, fix=fix, details=details)
