"""Health checks of a data home: what works, and one line of what to do for each thing that does not.

`diagnose` looks at the store (reachable, busy with the ingester, corrupt, schema behind or
ahead of this version), the spool backlog and its age, the last ingest, the hooks' error log,
disk use, the permissions of the data home and its files, and the Python environment the
hooks start the ingester with. It only reads: nothing it does changes the data home, and it
never waits long for a store another process holds.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from trajectory_miner import quarantine, spool
from trajectory_miner.config import ConfigError, load_config
from trajectory_miner.forget import REWRITE_PENDING
from trajectory_miner.forgotten import forgotten_file
from trajectory_miner.ingest import LAST_INGEST_KEY, LastRun, file_key, last_run
from trajectory_miner.migrations import MIGRATIONS, applied
from trajectory_miner.paths import Paths
from trajectory_miner.store import StoreBusy, StoreError, connect_with_retry
from trajectory_miner.writer_lock import held_elsewhere

Level = Literal["ok", "note", "problem"]

BACKLOG_PROBLEM_AGE = timedelta(minutes=15)
RECENT_HOOK_ERRORS = timedelta(hours=24)
MIN_FREE_BYTES = 100 * 1024 * 1024
_PRIVATE_NAMES = (
    "spool",
    "reports",
    "hook-errors.log",
    "hook-errors.log.1",
    "config.toml",
    "hints.json",
    "forgotten-sessions.txt",
    "writer.lock",
    quarantine.LOG_NAME,
)
_PID = re.compile(r"\(PID (\d+)\)")


class Check(BaseModel):
    """One finding: a level, a line saying what was found, and what to do when it needs the user."""

    name: str
    level: Level
    summary: str
    fix: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Diagnosis(BaseModel):
    """Every check of one run; `ok` is false when any of them needs the user."""

    home: str
    checked_at: datetime
    checks: list[Check]

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.level == "problem"]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Interpreters:
    """Where the hooks look for the ingester's Python, in their order (see `hooks/_hookio.py`)."""

    explicit: str | None = None
    plugin_data: Path | None = None


@dataclass
class _StoreFacts:
    offsets: dict[str, int]
    last_ingest: datetime | None
    last_run: LastRun | None = None


def diagnose(
    paths: Paths, interpreters: Interpreters, now: datetime | None = None, wait_seconds: float = 0.5
) -> Diagnosis:
    """Run every check on the data home in `paths`."""
    at = now or datetime.now(UTC)
    checks: list[Check] = []
    if not paths.home.exists():
        checks.append(
            Check(
                name="home",
                level="note",
                summary=f"no data home at {paths.home} yet: nothing has been captured",
                fix="the first hook or `trajectory-miner ingest` creates it",
            )
        )
    else:
        checks.append(check_permissions(paths.home, paths.database))
    store_check, facts = check_store(paths, wait_seconds)
    checks.append(store_check)
    checks.append(check_last_ingest(facts, at))
    checks.append(check_spool(paths, facts, at))
    checks.append(check_hook_errors(paths.hook_errors, at))
    checks.append(check_quarantine(quarantine.log_path(paths.database), at))
    checks.append(check_disk(paths.home))
    checks.append(check_config(paths.config_file))
    checks.append(check_environment(paths.home, interpreters))
    from trajectory_miner.install_checks import check_command, check_plugin

    checks.append(check_command())
    checks.append(check_plugin(paths.projects.parent))
    return Diagnosis(home=str(paths.home), checked_at=at, checks=checks)


def _quote(path: Path) -> str:
    text = str(path)
    return text if re.fullmatch(r"[\w@%+=:,./-]+", text) else "'" + text.replace("'", "'\\''") + "'"


def _private_files(home: Path, database: Path) -> Iterable[Path]:
    """The data home and its own files (the environment in venv/ aside)."""
    yield home
    yield from (database, database.with_name(database.name + ".wal"))
    for name in _PRIVATE_NAMES:
        path = home / name
        yield path
        if path.is_dir():
            yield from sorted(path.iterdir())


def check_permissions(home: Path, database: Path) -> Check:
    """The data home and its files readable by the user alone, and owned by them."""
    open_to_others: list[str] = []
    foreign: list[str] = []
    uid = os.getuid()
    for path in _private_files(home, database):
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if info.st_uid != uid:
            foreign.append(str(path))
        if stat.S_IMODE(info.st_mode) & 0o077:
            open_to_others.append(str(path))
    if foreign:
        return Check(
            name="permissions",
            level="problem",
            summary=f"{len(foreign)} file(s) in the data home belong to another user, e.g. {foreign[0]}",
            fix=f"give them back to yourself: sudo chown -R $(id -u) {_quote(home)}",
            details={"foreign": foreign, "open_to_others": open_to_others},
        )
    if open_to_others:
        return Check(
            name="permissions",
            level="problem",
            summary=f"{len(open_to_others)} path(s) in the data home are open to other users, e.g. {open_to_others[0]}",
            fix=f"chmod -R go-rwx {_quote(home)}",
            details={"open_to_others": open_to_others},
        )
    return Check(name="permissions", level="ok", summary=f"{home} (0700) and its files (0600) are yours alone")


def ingester_running(lock: Path) -> bool:
    """True when another process holds the ingest lock (the probe the hooks make)."""
    return held_elsewhere(lock)


def check_store(paths: Paths, wait_seconds: float) -> tuple[Check, _StoreFacts | None]:
    """Whether the store opens, and its schema against the latest migration."""
    database = paths.database
    if not database.exists():
        return Check(
            name="store",
            level="note",
            summary=f"no store at {database} yet",
            fix="run `trajectory-miner ingest` to read your past sessions",
        ), None
    try:
        con = connect_with_retry(database, True, wait_seconds)
    except StoreBusy as exc:
        return _busy(paths, exc), None
    except StoreError as exc:
        if written_by_another_duckdb(str(exc)):
            return Check(
                name="store",
                level="problem",
                summary=f"the store was written by another DuckDB version than this environment's: {exc}",
                fix=OTHER_DUCKDB_ADVICE,
            ), None
        return Check(
            name="store",
            level="problem",
            summary=f"the store is damaged: {exc}",
            fix=rebuild_advice(database),
        ), None
    try:
        return _schema(con, database)
    except Exception as exc:  # a file that opens but cannot be read is damaged all the same
        return Check(
            name="store",
            level="problem",
            summary=f"the store opens but cannot be read: {str(exc).splitlines()[0]}",
            fix=rebuild_advice(database),
        ), None
    finally:
        con.close()


OTHER_DUCKDB_ADVICE = (
    "update trajectory-miner (`git pull && ./install.sh`, or `claude plugin update` for a marketplace install) so "
    "its environment has the DuckDB that wrote the store; the store is intact, so do not move it aside"
)
_VERSION_MARKERS = ("version number", "newer version of duckdb", "older version of duckdb", "storage version")


def written_by_another_duckdb(message: str) -> bool:
    """Whether DuckDB refused the file for its storage version rather than for damage."""
    lowered = message.lower()
    return any(marker in lowered for marker in _VERSION_MARKERS)


def rebuild_advice(database: Path) -> str:
    """How to rebuild a damaged store, and why the sessions the user forgot stay forgotten."""
    wal = database.with_name(database.name + ".wal")
    aside = f"mv {_quote(database)} {_quote(database)}.broken"
    if wal.exists():
        aside += f" && mv {_quote(wal)} {_quote(database)}.broken.wal"
    return (
        f"move it aside ({aside}), then run `trajectory-miner ingest` to rebuild it from the transcripts "
        f"still on disk; sessions you forgot stay out of the rebuilt store, because their ids are kept in "
        f"{_quote(forgotten_file(database))} (leave that file where it is)"
    )


def _busy(paths: Paths, exc: StoreBusy) -> Check:
    cause = str(exc.__cause__ or exc)
    pid = _PID.search(cause)
    if ingester_running(paths.ingest_lock):
        return Check(name="store", level="ok", summary="the store is busy: the background ingester is writing it")
    holder = f" (process {pid.group(1)})" if pid else ""
    return Check(
        name="store",
        level="note",
        summary=f"the store is in use by another process{holder}; its contents were not checked",
        fix="run `trajectory-miner doctor` again when that process has finished",
    )


def _schema(con: Any, database: Path) -> tuple[Check, _StoreFacts | None]:
    done = applied(con)
    names = [name for name, _ in MIGRATIONS]
    latest = names[-1]
    unknown = [name for name in done if name not in names]
    missing = [name for name in names if name not in done]
    version = done[-1] if done else "(empty)"
    details: dict[str, Any] = {"schema": version, "latest": latest, "pending": missing, "unknown": unknown}
    if unknown:
        return Check(
            name="store",
            level="problem",
            summary=f"the store was written by a newer trajectory-miner (schema {unknown[-1]})",
            fix="update the plugin to the latest version",
            details=details,
        ), None
    if missing:
        return Check(
            name="store",
            level="problem",
            summary=f"the store's schema is {version}; this version needs {latest}",
            fix="run `trajectory-miner ingest` once to upgrade it",
            details=details,
        ), None
    unfinished = con.execute("SELECT value FROM miner_state WHERE key = ?", [REWRITE_PENDING]).fetchone()
    if unfinished:
        return Check(
            name="store",
            level="problem",
            summary=f"the text of sessions forgotten at {unfinished[0][:16]} may still be in the store file",
            fix="run `trajectory-miner forget --finish` to rewrite it",
            details=details,
        ), None
    sessions = con.execute("SELECT count(*) FROM sessions WHERE NOT is_sidechain").fetchone()[0]
    turns = con.execute("SELECT count(*) FROM turns").fetchone()[0]
    offsets = {path: int(offset) for path, offset in con.execute("SELECT path, offset_bytes FROM files").fetchall()}
    last = con.execute("SELECT max(ingested_at) FROM files").fetchone()[0]
    noted = con.execute("SELECT value FROM miner_state WHERE key = ?", [LAST_INGEST_KEY]).fetchone()
    details.update(sessions=sessions, turns=turns, bytes=database.stat().st_size)
    check = Check(
        name="store",
        level="ok",
        summary=f"{sessions:,} sessions, {turns:,} turns; schema {version} (the latest)",
        details=details,
    )
    return check, _StoreFacts(offsets=offsets, last_ingest=_aware(last), last_run=last_run(noted[0] if noted else None))


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def check_last_ingest(facts: _StoreFacts | None, now: datetime) -> Check:
    """When a transcript was last read into the store."""
    if facts is None:
        return Check(name="ingest", level="note", summary="last ingest unknown (the store was not read)")
    if facts.last_ingest is None and facts.last_run is not None and not facts.last_run.files:
        # Running it again would find the same nothing: say where it looked instead.
        run = facts.last_run
        return Check(
            name="ingest",
            level="note",
            summary=f"the last ingest ({_ago(run.at, now)}) found no transcripts under {', '.join(run.roots)}",
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
        summary=f"last ingest {_ago(facts.last_ingest, now)} ({facts.last_ingest:%Y-%m-%d %H:%M} UTC)",
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


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_spool(paths: Paths, facts: _StoreFacts | None, now: datetime) -> Check:
    """Spooled hook events whose transcripts are not stored yet, and how long they have waited."""
    events, bad = _spool_events(paths.spool_dir)
    offsets = facts.offsets if facts is not None else None
    waiting = [e for e in events if _waiting(e, offsets)]
    stamps = [m for m in (_moment(e.at) for e in waiting) if m is not None]
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
    age = f", the oldest from {_ago(oldest, now)}" if oldest else ""
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
    stamps = [m for m in (_moment(line.split(" ", 1)[0]) for line in lines) if m is not None]
    last = max(stamps) if stamps else None
    details = {"count": len(lines), "last_lines": lines[-3:], "last_at": last.isoformat() if last else None}
    when = f", the last {_ago(last, now)}" if last else ""
    summary = f"{len(lines)} logged{when}: {lines[-1][:160]}"
    fix = f"read {_quote(log)}; once the cause is fixed, delete the log"
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
        f"capture goes on without them; keep the transcripts named in {_quote(log)} and report the reasons given "
        "there, then delete the log to clear this (a file skipped whole is then read again)"
    )
    details = {"lines": len(records) - len(files), "files": len(files), "last": [asdict(r) for r in records[-3:]]}
    stamp = _moment(last.at)
    if stamp is None or now - stamp <= RECENT_HOOK_ERRORS:
        return Check(name="quarantine", level="problem", summary=summary, fix=fix, details=details)
    return Check(name="quarantine", level="note", summary=summary, fix=fix, details=details)


def _size_of(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def check_disk(home: Path) -> Check:
    """The data home's size and the free space beside it."""
    if not home.exists():
        return Check(name="disk", level="ok", summary="nothing stored yet")
    used = _size_of(home)
    free = shutil.disk_usage(home).free
    details = {"used_bytes": used, "free_bytes": free}
    summary = f"{used / 1e6:,.1f} MB in {home}; {free / 1e9:,.1f} GB free"
    if free < MIN_FREE_BYTES:
        return Check(
            name="disk",
            level="problem",
            summary=summary,
            fix="free some disk space: the store cannot grow (forget old sessions with `trajectory-miner forget`)",
            details=details,
        )
    return Check(name="disk", level="ok", summary=summary, details=details)


def check_config(path: Path) -> Check:
    """The settings file: a broken one stops every command and the ingester until it is fixed."""
    try:
        load_config(path)
    except ConfigError as exc:
        return Check(
            name="config",
            level="problem",
            summary=f"the settings cannot be used: {str(exc).splitlines()[0]}",
            fix=f"fix or remove {_quote(path)}; the hooks keep spooling, and ingest catches up once it reads",
            details={"error": str(exc)},
        )
    summary = f"settings read from {path}" if path.exists() else "no config.toml: the defaults apply"
    return Check(name="config", level="ok", summary=summary)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_interpreter(home: Path, interpreters: Interpreters) -> tuple[Path | None, list[str]]:
    """The interpreter the hooks would start the ingester with, and why others were passed over."""
    passed: list[str] = []
    if interpreters.explicit:
        explicit = Path(interpreters.explicit).expanduser()
        if _executable(explicit):
            return explicit, passed
        passed.append(f"TRAJECTORY_MINER_PYTHON={interpreters.explicit} is not an executable")
    if interpreters.plugin_data is not None:
        candidate = interpreters.plugin_data / "venv" / "bin" / "python"
        if _executable(candidate) and (interpreters.plugin_data / "env.marker").exists():
            return candidate, passed
        if (interpreters.plugin_data / "env.failed").exists():
            passed.append(f"the plugin's setup failed: see {interpreters.plugin_data / 'setup.log'}")
        elif _executable(candidate):
            passed.append(f"the plugin's environment in {interpreters.plugin_data} is still being set up")
    candidate = home / "venv" / "bin" / "python"
    return (candidate if _executable(candidate) else None), passed


def check_environment(home: Path, interpreters: Interpreters) -> Check:
    """Whether the hooks find a Python that can run the ingester."""
    python, passed = find_interpreter(home, interpreters)
    if python is None:
        why = f" ({'; '.join(passed)})" if passed else ""
        return Check(
            name="environment",
            level="problem",
            summary=f"the hooks find no Python environment, so sessions are only spooled{why}",
            fix="run the plugin's install.sh, or set TRAJECTORY_MINER_PYTHON to a Python that has "
            "trajectory-miner installed",
            details={"passed_over": passed},
        )
    try:
        probe = subprocess.run(
            [str(python), "-I", "-c", "import trajectory_miner"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        failed = probe.returncode != 0
        reason = (probe.stderr.strip().splitlines() or ["exit status " + str(probe.returncode)])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        failed, reason = True, str(exc)
    if failed:
        return Check(
            name="environment",
            level="problem",
            summary=f"{python} cannot import trajectory_miner: {reason}",
            fix="reinstall the plugin's environment (run install.sh again)",
            details={"python": str(python)},
        )
    return Check(name="environment", level="ok", summary=f"the hooks use {python}", details={"python": str(python)})
