"""Export commands: `export parquet DIR`, `export dataset FILE.jsonl`, and reading a pooled folder back."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trajectory_miner.cli.output import (
    CommandError,
    load_user_config,
    print_json,
    reader,
    resolve_paths,
    writer,
)
from trajectory_miner.config import Config
from trajectory_miner.export.dataset import DEFAULT_MIN_SCORE, export_dataset
from trajectory_miner.export.parquet import export_parquet
from trajectory_miner.export.pool import PoolError, ingest_parquet
from trajectory_miner.redaction.redactor import Redactor


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="export the store as Parquet or as a training dataset")
    export.set_defaults(handler=lambda _args: _help(export))
    sub = export.add_subparsers(dest="export_command", metavar="FORMAT")

    parquet = sub.add_parser("parquet", help="add what is new to a Parquet folder that a team can pool and read back")
    parquet.add_argument("directory", type=Path, metavar="DIR", help="the pooled folder (created if missing)")
    parquet.add_argument("--json", action="store_true", help="print one JSON object")
    parquet.set_defaults(handler=run_parquet)

    dataset = sub.add_parser("dataset", help="write successful trajectories as chat-format training examples")
    dataset.add_argument("file", type=Path, metavar="FILE.jsonl", help="the examples file to write")
    dataset.add_argument(
        "--min-score",
        type=_score,
        default=DEFAULT_MIN_SCORE,
        help=f"lowest overall score of a session that goes in (default {DEFAULT_MIN_SCORE})",
    )
    dataset.add_argument("--pairs", action="store_true", help="also write preference pairs to FILE.pairs.jsonl")
    dataset.add_argument("--json", action="store_true", help="print one JSON object")
    dataset.set_defaults(handler=run_dataset)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a score is between 0 and 1, not {text}")
    return value


def _redactor(config: Config) -> Redactor:
    try:
        return Redactor(config.redact_patterns)
    except ValueError as exc:
        raise CommandError(f"bad config: {exc}", 2) from exc


def run_parquet(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    redactor = _redactor(load_user_config(paths))
    if args.directory.exists() and not args.directory.is_dir():
        raise CommandError(f"not a folder: {args.directory}", 2)
    with writer(paths) as store:
        try:
            report = export_parquet(store, args.directory, redactor=redactor)
        except (FileExistsError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
    if args.json:
        print_json(report)
    elif report.export_id is None:
        print(f"nothing new to export into {args.directory} ({report.sessions_unchanged} sessions already there)")
    else:
        print(
            f"exported {report.sessions} sessions ({report.sessions_unchanged} unchanged) and {report.items} "
            f"mined items as {report.files} files into {args.directory} (export {report.export_id})"
        )
    return 0


def run_dataset(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    redactor = _redactor(load_user_config(paths))
    if args.file.is_dir():
        raise CommandError(f"{args.file} is a folder: name a .jsonl file", 2)
    with reader(paths) as store:
        report = export_dataset(store, args.file, min_score=args.min_score, pairs=args.pairs, redactor=redactor)
    if args.json:
        print_json(report)
        return 0
    print(
        f"{report.examples} examples from {report.sessions} sessions "
        f"(of {report.sessions_selected} scored success at {report.min_score:.2f} or more) in {report.path}"
    )
    if report.pairs_path is not None:
        print(f"{report.pairs} preference pairs from {report.pair_sessions} sessions in {report.pairs_path}")
    print(f"manifest: {report.manifest_path}")
    return 0


def ingest_from_parquet(args: argparse.Namespace) -> int:
    """`ingest --from-parquet DIR`: read a pooled folder into the store, then score what came without a card."""
    from trajectory_miner.capture.upkeep import refresh_sessions
    from trajectory_miner.scoring import stale_session_ids

    paths = resolve_paths()
    config = load_user_config(paths)
    directory: Path = args.from_parquet
    if not directory.is_dir():
        raise CommandError(f"no such folder: {directory}", 2)
    with writer(paths) as store:
        try:
            report = ingest_parquet(store, directory, config, redactor=_redactor(config))
        except PoolError as exc:
            raise CommandError(str(exc), 2) from exc
        unscored = sorted(set(stale_session_ids(store)) & set(report.session_ids))
        refresh_sessions(store, unscored)
    if getattr(args, "json", False):
        print_json(report)
    elif not getattr(args, "quiet", False):
        print(
            f"{report.sessions_in_pool} sessions in {report.exports} exports from {report.stores} stores: "
            f"{report.sessions_added} added, {report.sessions_replaced} replaced by a newer copy, "
            f"{report.sessions_unchanged} unchanged, {report.excluded_sessions} in excluded projects"
        )
    return 0
