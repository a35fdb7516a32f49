"""`trajectory-miner search`: past sessions by words, ranked as the `search_sessions` tool ranks them."""

from __future__ import annotations

import argparse
from typing import Any

from trajectory_miner.cli.output import CommandError, print_json, print_table, reader, resolve_paths
from trajectory_miner.retrieval.answers import MAX_BUDGET, SessionList
from trajectory_miner.retrieval.index import MemoryIndex
from trajectory_miner.retrieval.listing import MAX_LIMIT, OUTCOMES, BadRequest, search_sessions
from trajectory_miner.store import StoreMissing

HELP = "find past sessions by words, ranked as the search_sessions tool ranks them"
EMPTY = "the history is empty: no session is stored yet (run `trajectory-miner ingest`)"


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}, not {value}")
    return value


def register(commands: Any) -> None:
    search = commands.add_parser("search", help=HELP)
    search.add_argument("query", nargs="+", help="words from the session's prompts, commands, errors or files")
    search.add_argument("--project", help="only this project (its path, or the end of it)")
    search.add_argument("--outcome", choices=OUTCOMES, help="only sessions that ended this way")
    search.add_argument("--limit", type=_limit, default=10, help=f"at most N sessions (1 to {MAX_LIMIT}; default 10)")
    search.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    search.set_defaults(handler=run_search)


def find(query: str, project: str | None, outcome: str | None, limit: int) -> SessionList:
    """The sessions for a query, from an index built over the store as the MCP server builds it."""
    paths = resolve_paths()
    try:
        with reader(paths) as store:
            index = MemoryIndex.build(store)
    except CommandError as exc:
        if isinstance(exc.__cause__, StoreMissing):
            return SessionList(note=EMPTY)
        raise
    if not index.sessions:
        return SessionList(note=EMPTY)
    try:
        return search_sessions(index, query, project, outcome, limit, MAX_BUDGET)
    except BadRequest as exc:
        raise CommandError(str(exc), 2) from exc


def run_search(args: argparse.Namespace) -> int:
    answer = find(" ".join(args.query), args.project, args.outcome, args.limit)
    if args.json:
        print_json(answer)
        return 0
    if answer.sessions:
        rows = [[s.id, s.project, s.date, s.outcome, s.steps, s.errors, s.title[:60]] for s in answer.sessions]
        print_table(["session", "project", "date", "outcome", "steps", "errors", "title"], rows)
    if answer.note or not answer.sessions:
        print(answer.note or "no session holds these words")
    return 0
