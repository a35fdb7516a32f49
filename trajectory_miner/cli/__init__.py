"""The command-line program `trajectory-miner`.

Each command module registers its subcommands and stays thin: parse the arguments, call the
core with a store and paths chosen here, print the result. Errors of the user's input or of
the store's state are printed as one clear line on stderr with exit code 2 or 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from trajectory_miner import __version__
from trajectory_miner.cli import capture, mining, scoring, serve
from trajectory_miner.cli.output import CommandError, fail

COMMAND_MODULES: list[ModuleType] = [capture, serve, scoring, mining]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="trajectory-miner",
        description="Capture, score and mine Claude Code sessions into skills and replays.",
    )
    parser.add_argument("--version", action="version", version=f"trajectory-miner {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
        return code
    except CommandError as exc:
        return fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
