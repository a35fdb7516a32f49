"""The `report` command: write the HTML report, or print its figures as JSON."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trajectory_miner import paths as paths_module
from trajectory_miner.cli.dates import parse_date
from trajectory_miner.cli.output import CommandError, print_json, progress_bar, reader, resolve_paths
from trajectory_miner.report import empty_report, gather, write_report


def register(commands: Any) -> None:
    parser = commands.add_parser("report", help="write an HTML report of sessions, scores, patterns and skills")
    parser.add_argument("--out", type=Path, help="HTML file (default: reports/report-<date>.html in the data home)")
    parser.add_argument("--since", type=parse_date, help="only sessions active since DATE (YYYY-MM-DD)")
    parser.add_argument("--project", help="only this project (path or folder name)")
    parser.add_argument(
        "--json", action="store_true", help="print the page's figures as JSON (the page is written too)"
    )
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    now = datetime.now(UTC)
    if paths.database.exists():
        with reader(paths) as store:
            data = gather(
                store,
                now=now,
                project=args.project,
                since=args.since,
                progress=progress_bar("report", not args.json),
            )
    else:
        # No store yet: the page says how to fill it rather than failing.
        data = empty_report(now, args.project, args.since)
    out: Path = args.out or paths.reports_dir / f"report-{now:%Y-%m-%d}.html"
    if args.out is None:
        paths_module.ensure_home(paths)
    try:
        write_report(data, out)
    except OSError as exc:
        raise CommandError(f"cannot write the report to {out}: {exc.strerror or exc}", 1) from exc
    if args.json:
        print_json({"out": str(out), **data.model_dump(mode="json")})
    else:
        print(out)
    return 0
