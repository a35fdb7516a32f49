"""The `mine` command: find patterns, skills and replays, and write the report beside the store."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trajectory_miner.cli.dates import parse_date
from trajectory_miner.cli.output import (
    CommandError,
    load_user_config,
    print_json_text,
    progress_bar,
    resolve_paths,
    writer,
)
from trajectory_miner.collector import collector_paused
from trajectory_miner.hints.child import HintChild
from trajectory_miner.mining import MiningReport, mine, render_markdown
from trajectory_miner.paths import Paths
from trajectory_miner.scoring import stale_session_ids
from trajectory_miner.store import Store


def register(commands: Any) -> None:
    parser = commands.add_parser("mine", help="mine failure patterns, skill candidates and replays")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--out", type=Path, help="report file (default: reports/mining-<time>.json in the data home)")
    parser.add_argument("--since", type=parse_date, help="only sessions active since DATE (YYYY-MM-DD)")
    parser.add_argument("--project", help="only this project (path or folder name)")
    parser.set_defaults(handler=run_mine)


def _score_unscored(store: Store, show: bool) -> int:
    """Score sessions that have no card from the current scorer."""
    stale = stale_session_ids(store)
    if not stale:
        return 0
    from trajectory_miner.capture.upkeep import refresh_sessions  # the scorer's modules, only when there is work

    return refresh_sessions(store, stale, progress=progress_bar("score", show))


def _refresh_hints(paths: Paths, store: Store, live_hints: bool, child: HintChild | None) -> HintChild | None:
    """Keep the retrieval documents of new sessions, then rebuild the live-hint table from what
    was just mined, unless live hints are off; returns `child` when it was handed that work and
    has the table to write yet."""
    from trajectory_miner.retrieval.kept import refresh

    refresh(store)
    if child is not None and child.send(store, paths.hints_file):
        return child
    if live_hints:
        _write_hints(paths, store)
    return None


def _write_hints(paths: Paths, store: Store) -> None:
    from trajectory_miner.hints import hints_from_store, write_hints

    # Writing the whole saved index again for a few new sessions costs more than the next
    # reader's catching up on them (and the MCP server saves its own after reading).
    write_hints(paths.hints_file, hints_from_store(store, resave_small=False))


def _write_report(report: MiningReport, out: Path) -> tuple[Path, str]:
    """The JSON report at `out` and its Markdown beside it, readable by the user alone; the
    Markdown's path and the JSON text."""
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    markdown = out.with_suffix(".md")
    document = report.model_dump_json(indent=2) + "\n"
    for path, text in ((out, document), (markdown, render_markdown(report))):
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o600)
    return markdown, document


def run_mine(args: argparse.Namespace) -> int:
    # The collector would walk the mined features and the loaded index again and again;
    # what mining drops is freed as it goes without it.
    with collector_paused():
        return _run_mine(args)


def _run_mine(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    if not paths.database.exists():
        raise CommandError("no store yet: run `trajectory-miner ingest` first", 1)
    show = not args.json
    live_hints = load_user_config(paths).live_hints
    # The saved index loads in a second process while this one mines (see `hints.child`).
    child = HintChild.start(paths.database) if live_hints else None
    try:
        with writer(paths) as store:
            _score_unscored(store, show)
            report = mine(store, since=args.since, project=args.project, progress=progress_bar("mine", show))
            writing = _refresh_hints(paths, store, live_hints, child)
        try:
            return _show_report(args, paths, report)
        finally:
            if writing is not None and not writing.wait():
                with writer(paths) as store:
                    _write_hints(paths, store)
    finally:
        if child is not None:
            child.stop()


def _show_report(args: argparse.Namespace, paths: Paths, report: MiningReport) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out: Path = args.out or paths.reports_dir / f"mining-{stamp}.json"
    try:
        markdown, document = _write_report(report, out)
    except OSError as exc:
        raise CommandError(f"cannot write the report to {out}: {exc.strerror or exc}", 1) from exc
    if args.json:
        print_json_text(document)  # the text just saved: the same document, not made twice
        return 0
    print(report.summary())
    for pattern in report.patterns[:5]:
        lift = "-" if pattern.lift is None else f"{pattern.lift:.1f}"
        head = f"  {pattern.id} [{pattern.severity}] {pattern.frequency} sessions, lift {lift}"
        print(f"{head}: {pattern.root_cause_cluster[:70]}")
    print(f"report: {out}\n        {markdown}")
    return 0
