"""Serving commands: `serve` (the `miner` MCP server over stdio) and `hints` (the live-hint file)."""

from __future__ import annotations

import argparse
from typing import Any

from trajectory_miner.cli.output import print_json, reader, resolve_paths


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the miner MCP server over stdio (what Claude Code starts)")
    serve.set_defaults(handler=run_serve)

    hints = commands.add_parser("hints", help="write the live-hint file the PostToolUseFailure hook reads")
    hints.add_argument("--json", action="store_true", help="print the hints as JSON")
    hints.set_defaults(handler=run_hints)


def run_serve(args: argparse.Namespace) -> int:
    del args
    # The MCP layer loads only for this command, so the rest of the CLI starts fast.
    from mcp_server.stdio import serve
    from mcp_server.tools import live_tools

    serve(live_tools(resolve_paths()), warm=True)
    return 0


def run_hints(args: argparse.Namespace) -> int:
    from trajectory_miner.hints import hints_from_store, write_hints

    paths = resolve_paths()
    with reader(paths) as store:
        hints = hints_from_store(store)
    changed = write_hints(paths.hints_file, hints)
    if args.json:
        print_json({family: hint.model_dump() for family, hint in hints.items()})
    else:
        state = "written" if changed else "unchanged"
        print(f"{len(hints)} hints {state} in {paths.hints_file}")
    return 0
