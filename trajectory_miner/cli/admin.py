"""Housekeeping commands: `forget` (remove sessions for good) and `doctor` (check the data home)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajectory_miner.cli.dates import parse_date
from trajectory_miner.cli.output import CommandError, fmt, print_json, resolve_paths, writer
from trajectory_miner.paths import Paths
from trajectory_miner.store import Store, StoreError

if TYPE_CHECKING:
    from trajectory_miner.admin.doctor import Diagnosis
    from trajectory_miner.admin.forget import ForgetError, ForgetReport

LOCK_WAIT_SECONDS = 30.0
_SHOWN = 80


def register(commands: Any) -> None:
    forget = commands.add_parser(
        "forget",
        help="remove sessions, everything scored and mined from them, and their text from the store",
    )
    forget.add_argument("session", nargs="?", help="session id (or a unique prefix)")
    forget.add_argument("--project", help="every session of this project (path or folder name)")
    forget.add_argument("--before", type=parse_date, help="every session last active before DATE (YYYY-MM-DD)")
    forget.add_argument(
        "--finish", action="store_true", help="rewrite the store file after a forget that could not (see doctor)"
    )
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    forget.add_argument("--json", action="store_true", help="print one JSON object")
    forget.set_defaults(handler=run_forget)

    doctor = commands.add_parser("doctor", help="check the store, spool, hooks, permissions and environment")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(handler=run_doctor)


def shown(text: str) -> str:
    """User input as it goes into a message: quoted, escaped, and cut to a readable length."""
    return repr(text if len(text) <= _SHOWN else text[:_SHOWN] + "…")


def _choice(args: argparse.Namespace) -> dict[str, Any]:
    chosen = {
        "session": args.session,
        "project": args.project,
        "before": args.before,
    }
    given = {key: value for key, value in chosen.items() if value is not None}
    if len(given) != 1:
        raise CommandError("name what to forget: a SESSION id, --project P or --before DATE (exactly one)", 2)
    for key in ("session", "project"):
        if key in given and not str(given[key]).strip():
            raise CommandError(f"the {key} to forget is empty", 2)
    return given


def run_forget(args: argparse.Namespace) -> int:
    # Loaded here, so that the commands the hooks start do not pay for them.
    from trajectory_miner.admin.forget import ForgetError, forget_sessions, select_sessions
    from trajectory_miner.capture.ingester import ingest_lock
    from trajectory_miner.sessions import ambiguity
    from trajectory_miner.store.lock import writer_lock

    paths = resolve_paths()
    if args.finish and _given(args):
        raise CommandError("--finish goes alone: it takes no SESSION, --project or --before", 2)
    choice = {} if args.finish else _choice(args)
    if not paths.database.exists():
        raise CommandError("no store yet: there is nothing to forget", 1)
    # One writer lock across the delete, the copy and the replace: no write lands in between.
    with (
        ingest_lock(paths.ingest_lock, LOCK_WAIT_SECONDS) as held,
        writer_lock(paths.database, LOCK_WAIT_SECONDS) as writing,
    ):
        if not held:
            raise CommandError("the background ingester is still at work: try again in a minute", 1)
        if not writing:
            raise CommandError("another process is writing the store: try again in a minute", 1)
        if not choice:
            _rewrite(paths)
            print("the store file was rewritten: no forgotten text is left in it")
            return 0
        with writer(paths) as store:
            try:
                ids = select_sessions(store, **choice)
            except ForgetError as exc:
                reason = ambiguity(store, choice["session"]) if "session" in choice else None
                raise CommandError(
                    f"{reason}: see `trajectory-miner sessions`" if reason else _unmatched(exc, choice), 2
                ) from exc
            description = describe(store, ids)
            if not args.yes:
                confirm(description)
            report = forget_sessions(store, ids)
            refreshed = _refresh_hints(paths, store)
        _rewrite(paths)
    removed = _remove_reports(paths, report.sessions)
    if args.json:
        print_json({**report.model_dump(mode="json"), "reports_removed": [str(p) for p in removed]})
    else:
        print_forgotten(description, report, removed, refreshed)
    return 0


def _given(args: argparse.Namespace) -> bool:
    return any(value is not None for value in (args.session, args.project, args.before))


def _rewrite(paths: Paths) -> None:
    from trajectory_miner.admin.forget import rewrite_store

    try:
        rewrite_store(paths.database, wait_seconds=LOCK_WAIT_SECONDS)
    except StoreError as exc:
        raise CommandError(
            f"the store file was not rewritten ({exc}); run `trajectory-miner forget --finish` to try again", 1
        ) from exc


def _unmatched(exc: ForgetError, choice: dict[str, Any]) -> str:
    if "ambiguous" in str(exc):
        return f"{exc}: see `trajectory-miner sessions`"
    if "session" in choice:
        return f"no session matches {shown(choice['session'])}: see `trajectory-miner sessions`"
    if "project" in choice:
        return f"no sessions of project {shown(choice['project'])}: see `trajectory-miner sessions`"
    return f"{exc}: see `trajectory-miner sessions`"


def describe(store: Store, ids: list[str]) -> str:
    """One sentence saying what a forget will remove."""
    from trajectory_miner.admin.forget import forget_scope

    scope = forget_scope(store, ids)
    side = f" and {scope.sidechains} subagent sidechain(s)" if scope.sidechains else ""
    span = f" from {fmt(scope.first)} to {fmt(scope.last)}" if scope.first is not None else ""
    where = f" in {scope.projects} project(s)" if scope.projects > 1 else ""
    return f"{scope.sessions} session(s){side}{where}{span}, {scope.turns} turn(s)"


def confirm(description: str) -> None:
    """Ask on a terminal; refuse when nobody can answer."""
    if sys.stdin is None or not sys.stdin.isatty():
        raise CommandError(f"refusing to forget {description} without confirmation: add --yes", 2)
    sys.stderr.write(f"Forget {description}? This cannot be undone. [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("nothing forgotten", 1)


def _refresh_hints(paths: Paths, store: Store) -> bool:
    """Rebuild the live-hint file, which may quote a fix from a forgotten session."""
    from trajectory_miner.hints import hints_from_store, write_hints

    target = paths.hints_file
    if not target.exists():
        return False
    write_hints(target, hints_from_store(store))
    return True


def _remove_reports(paths: Paths, ids: list[str]) -> list[Path]:
    """Delete the reports in the data home that name a forgotten session; they quote its text."""
    from trajectory_miner.admin.forget import files_mentioning

    named = files_mentioning(paths.reports_dir, ids)
    # A report's JSON and Markdown go together: one naming a session condemns both.
    stems = {path.stem for path in named}
    removed: list[Path] = []
    for path in sorted(paths.reports_dir.glob("*")) if named else []:
        if path.stem not in stems or not path.is_file():
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def print_forgotten(description: str, report: ForgetReport, removed: list[Path], refreshed: bool) -> None:
    print(f"forgot {description}")
    rows = sum(report.rows.values())
    print(f"  {rows} rows removed; the store file was rewritten so their text is gone from the disk")
    for table, ids in report.removed_items.items():
        print(f"  {table} removed (only these sessions showed them): {', '.join(ids)}")
    for table, ids in report.updated_items.items():
        print(f"  {table} kept, with these sessions taken out: {', '.join(ids)}")
    for folder in report.exported_skills:
        print(f"  a removed skill was exported to {folder}: delete that folder if you no longer want it")
    if removed:
        print(f"  {len(removed)} report(s) naming these sessions deleted from {removed[0].parent}")
    if refreshed:
        print("  live hints rebuilt")
    print("  ingest will not store these sessions again; to stop capturing a project, add it to")
    print("  excluded_projects in config.toml")


def run_doctor(args: argparse.Namespace) -> int:
    from trajectory_miner.admin.doctor import Interpreters, diagnose
    from trajectory_miner.admin.doctor.install import plugin_data_folder

    paths = resolve_paths()
    # Found as the hooks find it, also where Claude Code does not say (the Bash tool, a terminal).
    interpreters = Interpreters(
        explicit=os.environ.get("TRAJECTORY_MINER_PYTHON") or None,
        plugin_data=plugin_data_folder(paths.projects.parent),
    )
    diagnosis = diagnose(paths, interpreters)
    if args.json:
        print_json({"ok": diagnosis.ok, **diagnosis.model_dump(mode="json")})
    else:
        print_diagnosis(diagnosis)
    return 0 if diagnosis.ok else 1


def print_diagnosis(diagnosis: Diagnosis) -> None:
    width = max(len(c.name) for c in diagnosis.checks)
    print(f"data home {diagnosis.home}  ({diagnosis.checked_at:%Y-%m-%d %H:%M} UTC)")
    for check in diagnosis.checks:
        print(f"{check.level:<8} {check.name:<{width}}  {check.summary}")
        if check.fix and check.level != "ok":
            print(f"{'':<8} {'':<{width}}  → {check.fix}")
    problems = diagnosis.problems
    if problems:
        print(f"\n{len(problems)} problem(s) need you:")
        for check in problems:
            print(f"  {check.name}: {check.fix}")
    else:
        print("\nnothing needs you")
