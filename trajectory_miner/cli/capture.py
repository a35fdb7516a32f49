"""Capture commands: `ingest`, `sessions`, `show`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trajectory_miner.capture.ingest import IngestReport, ingest_paths
from trajectory_miner.cli.dates import parse_date
from trajectory_miner.cli.output import (
    CommandError,
    load_user_config,
    print_json,
    print_table,
    progress_bar,
    reader,
    resolve_paths,
    writer,
)
from trajectory_miner.store import StoreMissing

if TYPE_CHECKING:
    # The hooks' ingester runs `ingest --from-spool` through this module: reading sessions
    # back loads the model classes, which storing new lines does not need.
    from trajectory_miner.model import Session
    from trajectory_miner.sessions import SessionSummary


def register(commands: Any) -> None:
    ingest = commands.add_parser("ingest", help="read new transcript lines into the store")
    ingest.add_argument("paths", nargs="*", type=Path, help="transcript files or folders (default: all)")
    ingest.add_argument("--json", action="store_true", help="print one JSON object")
    ingest.add_argument("--from-spool", action="store_true", help="ingest what the hooks spooled")
    ingest.add_argument("--from-parquet", type=Path, metavar="DIR", help="read a pooled Parquet export folder")
    ingest.add_argument("--quiet", action="store_true", help="print nothing")
    ingest.set_defaults(handler=run_ingest)

    sessions = commands.add_parser("sessions", help="list sessions")
    sessions.add_argument("--project", help="only this project (path or folder name)")
    sessions.add_argument("--since", type=parse_date, help="only sessions active since DATE (YYYY-MM-DD)")
    sessions.add_argument("--limit", type=positive_int, default=None, help="at most N rows")
    sessions.add_argument("--all", action="store_true", help="include subagent sidechains")
    sessions.add_argument("--json", action="store_true", help="print JSON")
    sessions.set_defaults(handler=run_sessions)

    show = commands.add_parser("show", help="show a session's turns and steps")
    show.add_argument("session", help="session id (or a unique prefix)")
    show.add_argument("--full", action="store_true", help="include prompts, inputs and results")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)


def positive_int(text: str) -> int:
    """A count given on the command line: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def run_ingest(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    config = load_user_config(paths)
    if args.from_parquet is not None:
        from trajectory_miner.cli.export import ingest_from_parquet

        return ingest_from_parquet(args)
    if args.from_spool:
        from trajectory_miner.capture.ingester import READERS_FIRST_SECONDS, drain_spool, score_changed
        from trajectory_miner.store import StoreError

        try:
            result = drain_spool(paths, config, after_ingest=score_changed, readers_first=READERS_FIRST_SECONDS)
        except StoreError as exc:
            raise CommandError(f"cannot ingest the spool: {exc}", 1) from exc
        if args.json:
            print_json(result)
        return 0
    targets: list[Path] = args.paths or [paths.projects]
    missing = [str(p) for p in targets if not p.exists()]
    if missing and args.paths:
        raise CommandError(f"no such file or folder: {', '.join(missing)}", 2)
    from trajectory_miner.capture import upkeep

    with writer(paths) as store:
        drawn = not (args.json or args.quiet)
        report = ingest_paths(store, targets, config, progress=progress_bar("ingest", drawn))
        upkeep.after_ingest(store, report, progress_bar("score", drawn))
    if args.json:
        print_json(report)
    elif not args.quiet:
        print_ingest_summary(report)
    return 0


def print_ingest_summary(report: IngestReport) -> None:
    if not report.files:
        print(f"no transcripts under {', '.join(report.roots)}")
        return
    print(
        f"{report.files} files ({report.files_changed} with new lines, {report.bytes / 1e6:.1f} MB): "
        f"{report.sessions} sessions, {report.turns} turns, {report.steps} steps, "
        f"{report.tool_errors} tool errors, {report.skipped_lines} lines skipped"
    )
    for error in report.errors:
        print(f"  could not read {error}")
    aside: list[str] = []
    if report.quarantined:
        aside.append(f"{len(report.quarantined)} line(s) or file(s) could not be read and were set aside")
    if report.held_files:
        aside.append(f"{report.held_files} file(s) set aside before were passed over")
    if aside:
        print(f"  {'; '.join(aside)}: see `trajectory-miner doctor`")


def run_sessions(args: argparse.Namespace) -> int:
    from trajectory_miner.sessions import list_sessions, short_ids

    paths = resolve_paths()
    try:
        with reader(paths) as store:
            rows = list_sessions(
                store, project=args.project, since=args.since, include_sidechains=args.all, limit=args.limit
            )
            extra = session_extras(store, [r.session_id for r in rows])
    except CommandError as exc:
        if isinstance(exc.__cause__, StoreMissing):
            rows, extra = [], {}
        else:
            raise
    if args.json:
        print_json([{**r.model_dump(mode="json"), **extra.get(r.session_id, {})} for r in rows])
        return 0
    if not rows:
        print("no sessions yet: run `trajectory-miner ingest`")
        return 0
    shown = short_ids([r.session_id for r in rows])
    headers = ["session", "project", "started", "ended", "model", "turns", "steps", "errors", "outcome", "score"]
    table = [
        [
            shown[r.session_id],
            _short_project(r.project),
            r.started_at,
            r.ended_at,
            r.model,
            r.turns,
            r.steps,
            r.tool_errors,
            extra.get(r.session_id, {}).get("outcome", "-"),
            _score_text(extra.get(r.session_id, {}).get("overall")),
        ]
        for r in rows
    ]
    if args.all:
        headers.insert(1, "kind")
        for row, summary in zip(table, rows, strict=True):
            row.insert(1, _kind(summary))
    print_table(headers, table)
    return 0


def _kind(summary: SessionSummary) -> str:
    """Main session, subagent run, or another sidechain."""
    if not summary.is_sidechain:
        return "main"
    return "subagent" if summary.session_id.partition("/")[2].startswith("agent-") else "sidechain"


def _score_text(overall: float | None) -> str:
    return "-" if overall is None else f"{overall:.2f}"


def session_extras(store: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Further per-session fields for `sessions --json` (scores and outcome once scored)."""
    from trajectory_miner.scoring.card import score_columns

    return score_columns(store, ids) if ids else {}


def _short_project(project: str) -> str:
    # Transcripts recorded on Windows name the project with backslashes.
    return project.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1] or project


def run_show(args: argparse.Namespace) -> int:
    from trajectory_miner.sessions import ambiguity, load_session, resolve_session_id

    paths = resolve_paths()
    with reader(paths) as store:
        sid = resolve_session_id(store, args.session)
        if sid is None:
            reason = ambiguity(store, args.session) or f"no session matches {args.session!r}"
            raise CommandError(f"{reason}: see `trajectory-miner sessions`", 2)
        session = load_session(store, sid)
    if session is None:
        raise CommandError(f"no session {sid}", 2)
    if args.json:
        data = session.model_dump(mode="json") if args.full else _brief(session)
        print_json({**data, "resume": resume_line(session)})
    else:
        _print_session(session, args.full)
        print(f"\nresume it: {resume_line(session)}")
    return 0


def resume_line(session: Session) -> str:
    """The shell line that reopens the session in Claude Code, from the folder it ran in.

    `claude --resume` finds a session only among those of the current folder's project.
    """
    import shlex

    resume = f"claude --resume {session.session_id}"
    folder = session.cwd or session.project
    return f"cd {shlex.quote(folder)} && {resume}" if folder else resume


def _brief(session: Session) -> dict[str, Any]:
    data = session.model_dump(mode="json", exclude={"turns", "events"})
    data["turns"] = [
        {
            "turn_index": t.turn_index,
            "kind": t.kind,
            "prompt": t.prompt[:200],
            "interrupted": t.interrupted,
            "steps": [
                {
                    "step_index": s.step_index,
                    "tool": s.tool_name,
                    "summary": s.summary,
                    "is_error": s.is_error,
                    "error_signature": s.error_signature,
                }
                for s in t.steps
            ],
        }
        for t in session.turns
    ]
    data["events"] = [{"kind": e.kind, "turn_index": e.turn_index, "detail": e.detail[:120]} for e in session.events]
    return data


def _print_session(session: Session, full: bool) -> None:
    print(f"session {session.session_id}  {session.project}")
    print(
        f"  {session.model or 'model unknown'}; {session.n_turns} turns, {session.n_steps} steps, "
        f"{session.n_tool_errors} tool errors, {session.n_compactions} compactions, "
        f"{session.n_interrupts} interrupts; tokens in {session.tokens.input} out {session.tokens.output}"
    )
    for turn in session.turns:
        prompt = turn.prompt if full else turn.prompt.replace("\n", " ")[:100]
        flag = " [interrupted]" if turn.interrupted else ""
        print(f"\nturn {turn.turn_index} ({turn.kind}){flag}: {prompt}")
        for step in turn.steps:
            mark = "x" if step.is_error else "."
            print(f"  {mark} {step.step_index:>3} {step.tool_name:<10} {step.summary[:90]}")
            if step.is_error and step.error_signature:
                print(f"        {step.error_signature}")
            if full and step.result_text:
                print("        " + step.result_text[:500].replace("\n", "\n        "))
